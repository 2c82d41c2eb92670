import type nodemailerType from 'nodemailer';
import { lazyRequire } from '../util/lazy.js';

const nodemailer = lazyRequire<typeof nodemailerType>('nodemailer');

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  lang: string;
  /** The notice kind, in the `X-Qoima-Notice` header (mail filters sort by it). */
  kind: string;
  attachments?: { filename: string; content: Buffer; contentType: string }[];
}

/** What delivery needs of an e-mail transport (notices, and the half-yearly report's mail). */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
  close(): void;
}

/**
 * SMTP through nodemailer when `SMTP_URL` is configured (`smtp://user:pass@host:587`, STARTTLS when
 * the server offers it; `smtps://` for implicit TLS); null when it is not: notices stay in-app only.
 */
export function createMailer(config: { smtpUrl: string | undefined; mailFrom: string }): Mailer | null {
  if (!config.smtpUrl) return null;
  const transport = nodemailer().createTransport(config.smtpUrl);
  return {
    async send(m) {
      await transport.sendMail({
        from: config.mailFrom,
        to: m.to,
        subject: m.subject,
        text: m.text,
        ...(m.attachments ? { attachments: m.attachments } : {}),
        headers: { 'Content-Language': m.lang, 'X-Qoima-Notice': m.kind, 'Auto-Submitted': 'auto-generated' },
      });
    },
    close: () => transport.close(),
  };
}
