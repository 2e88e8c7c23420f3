import { createHash } from 'node:crypto';
import type { Transporter } from 'nodemailer';
import { redactUrl } from '../../config/config.js';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  /** Names the job, so a message sent twice (a lease lost mid-send) carries one Message-ID. */
  key: string;
}

/** Bounds on every step, so a silent or slow server costs a job attempt and never a hung runner. */
const CONNECTION_TIMEOUT_MS = 10_000;
const GREETING_TIMEOUT_MS = 10_000;
const SOCKET_TIMEOUT_MS = 30_000;
const DNS_TIMEOUT_MS = 10_000;

/**
 * The one module that talks to the SMTP server. Every failure becomes an Error naming the server
 * (without its password), which fails the job attempt and is retried by the queue.
 */
export class SmtpClient {
  private transport: Transporter | null = null;
  private readonly host: string;

  constructor(
    private readonly smtpUrl: string,
    private readonly from: string,
  ) {
    this.host = new URL(smtpUrl).hostname;
  }

  /** Loaded at the first message, so commands that never send mail do not pay for nodemailer. */
  private async open(): Promise<Transporter> {
    if (this.transport) return this.transport;
    const nodemailer = (await import('nodemailer')).default;
    const url = new URL(this.smtpUrl);
    this.transport = nodemailer.createTransport({
      host: url.hostname,
      port: url.port ? Number(url.port) : url.protocol === 'smtps:' ? 465 : 587,
      secure: url.protocol === 'smtps:',
      auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      greetingTimeout: GREETING_TIMEOUT_MS,
      socketTimeout: SOCKET_TIMEOUT_MS,
      dnsTimeout: DNS_TIMEOUT_MS,
      // No pool: each message is its own short connection, so no idle socket outlives a job.
      pool: false,
      logger: false,
      debug: false,
    });
    return this.transport;
  }

  async send(mail: OutgoingMail): Promise<void> {
    try {
      const transport = await this.open();
      await transport.sendMail({
        from: this.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        messageId: `<${createHash('sha256').update(mail.key).digest('hex').slice(0, 32)}@${this.host}>`,
      });
    } catch (err) {
      throw new Error(`the SMTP server ${redactUrl(this.smtpUrl)} refused or failed the message: ${(err as Error).message}`);
    }
  }

  close(): void {
    this.transport?.close();
  }
}
