/**
 * How a long operation (check, backup, restore, mirror transfers) reports where it is: items done
 * and bytes moved so far, with the totals when known. The CLI draws it on a terminal; everything
 * else passes `noProgress`.
 */
export interface ProgressState {
  files: number;
  bytes: number;
  total: number | null;
  totalBytes?: number | null;
}

export type Progress = (state: ProgressState, current: string) => void;

export const noProgress: Progress = () => undefined;
