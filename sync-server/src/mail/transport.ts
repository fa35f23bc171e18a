import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import type { ServerConfig } from '../config';

/**
 * Where mail goes: SMTP when SMTP_URL is set; otherwise (development) each message becomes an
 * `.eml` file in `<dataDir>/mail`, which any mail client opens.
 */
export type MailTransport = {
  /** For logs and `npm start`: where messages go. */
  describe: string;
  /** Resolves once the message is accepted (SMTP 250, or the file is written); `fileStem` names the file. */
  send(message: SendMailOptions, fileStem: string): Promise<{ accepted: string }>;
  close(): void;
};

export function emlFolder(config: Pick<ServerConfig, 'dataDir'>): string {
  return path.join(config.dataDir, 'mail');
}

export function createMailTransport(config: ServerConfig): MailTransport {
  return config.smtpUrl ? smtpTransport(config.smtpUrl, config) : emlTransport(emlFolder(config));
}

function smtpTransport(url: string, config: ServerConfig): MailTransport {
  const timeout = config.mail.smtpTimeoutMs;
  const transporter = nodemailer.createTransport({
    url,
    pool: true,
    maxConnections: config.mail.concurrency,
    maxMessages: 100,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    dnsTimeout: timeout,
  });
  const target = new URL(url);
  return {
    describe: `SMTP ${target.protocol}//${target.host}`,
    async send(message) {
      const info = await transporter.sendMail(message);
      return { accepted: info.response };
    },
    close: () => transporter.close(),
  };
}

function emlTransport(folder: string): MailTransport {
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  return {
    describe: `.eml files in ${folder}`,
    async send(message, fileStem) {
      const info = await transporter.sendMail(message);
      await mkdir(folder, { recursive: true });
      const file = path.join(folder, `${fileStem.replace(/[^A-Za-z0-9_.-]+/g, '_')}.eml`);
      // Written whole or not at all: a crash never leaves half a message that looks sent.
      const partial = `${file}.partial`;
      await writeFile(partial, info.message as Buffer);
      await rename(partial, file);
      return { accepted: file };
    },
    close: () => transporter.close(),
  };
}
