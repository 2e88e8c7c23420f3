/** Wharf's icon: a crate on a pier, drawn in SVG so it stays sharp at any size. */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect x="2" y="24" width="28" height="4" rx="1" fill="#5f6b77"/>
<rect x="6" y="28" width="3" height="4" fill="#5f6b77"/><rect x="23" y="28" width="3" height="4" fill="#5f6b77"/>
<rect x="8" y="8" width="16" height="16" rx="2" fill="#b3541e"/>
<path d="M8 16h16M16 8v16" stroke="#7a3510" stroke-width="2"/>
<rect x="8" y="8" width="16" height="16" rx="2" fill="none" stroke="#7a3510" stroke-width="2"/>
</svg>
`;
