import nodemailer from 'nodemailer';

/** What delivery needs of an e-mail transport. */
export interface Mailer {
  send(message: { to: string; subject: string; text: string; lang: string; kind: string }): Promise<void>;
  close(): void;
}

/**
 * SMTP through nodemailer when `SMTP_URL` is configured (`smtp://user:pass@host:587`, STARTTLS when
 * the server offers it; `smtps://` for implicit TLS); null when it is not: notices stay in-app only.
 */
export function createMailer(config: { smtpUrl: string | undefined; mailFrom: string }): Mailer | null {
  if (!config.smtpUrl) return null;
  const transport = nodemailer.createTransport(config.smtpUrl);
  return {
    async send(m) {
      await transport.sendMail({
        from: config.mailFrom,
        to: m.to,
        subject: m.subject,
        text: m.text,
        headers: { 'Content-Language': m.lang, 'X-Qoima-Notice': m.kind, 'Auto-Submitted': 'auto-generated' },
      });
    },
    close: () => transport.close(),
  };
}
