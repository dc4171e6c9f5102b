// A failed send, in words a user (or operator) can act on, recorded as Notification.lastError.
// Never contains the SMTP password: known secrets and their base64 forms (AUTH PLAIN/LOGIN)
// are scrubbed from whatever the server or the library said.
import type { NodemailerError } from "nodemailer";

export interface SendFailure {
  message: string;
  /** The server refused this message for good (5xx on the envelope or the data): do not retry. */
  permanent: boolean;
}

const MAX_LENGTH = 500;

export function scrubSecrets(text: string, secrets: string[], user?: string): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret) continue;
    const forms = [secret, Buffer.from(secret).toString("base64")];
    if (user) forms.push(Buffer.from(`\u0000${user}\u0000${secret}`).toString("base64"), Buffer.from(`${user}\u0000${user}\u0000${secret}`).toString("base64"));
    for (const form of forms) out = out.split(form).join("***");
  }
  return out;
}

function serverSaid(e: NodemailerError): string {
  const said = (e.response ?? "").replace(/\s+/g, " ").trim();
  return said ? ` The server said: "${said}".` : "";
}

export function describeSendError(error: unknown, where: { host: string; port: number; secrets: string[]; user?: string }): SendFailure {
  const e = (error ?? {}) as NodemailerError;
  const server = `${where.host}:${where.port}`;
  const original = e.originalCode ?? e.code;
  let message: string;
  let permanent = false;
  switch (e.code) {
    case "EAUTH":
      message = `The mail server ${server} refused the login.${serverSaid(e)} Check SMTP_USER and SMTP_PASSWORD.`;
      break;
    case "ENOAUTH":
      message = `The mail server ${server} requires a login. Set SMTP_USER and SMTP_PASSWORD.`;
      break;
    case "ETLS":
      message = `Could not set up an encrypted connection to ${server}: ${e.message}. Port 465 uses TLS from the start, other ports need STARTTLS; SMTP_TLS_CA trusts a private certificate.`;
      break;
    case "ETIMEDOUT":
      message = `The mail server ${server} did not answer in time (${(e.timeoutType ?? "timeout").toLowerCase().replace(/_/g, " ")}).`;
      break;
    case "EDNS":
      message = `Could not find the mail server ${where.host} (DNS lookup failed).`;
      break;
    case "EENVELOPE":
    case "EMESSAGE":
      permanent = e.permanent === true;
      message = `The mail server ${server} refused the message${e.recipient ? ` for ${e.recipient}` : ""}.${serverSaid(e)}`;
      break;
    default:
      if (original === "ECONNREFUSED") message = `Could not connect to the mail server ${server} (connection refused). Is it running?`;
      else if (original === "ECONNRESET" || e.code === "ECONNECTION") message = `The connection to the mail server ${server} was closed unexpectedly.${serverSaid(e)}`;
      else if (/certificate|self[- ]signed|CERT_/i.test(`${e.message} ${original ?? ""}`)) {
        message = `The mail server ${server} presented a certificate we do not trust (${e.message}). Set SMTP_TLS_CA to its CA certificate.`;
      } else message = `Sending through ${server} failed: ${e.message || String(error)}`;
  }
  const scrubbed = scrubSecrets(message, where.secrets, where.user);
  return { message: scrubbed.length > MAX_LENGTH ? `${scrubbed.slice(0, MAX_LENGTH - 1)}…` : scrubbed, permanent };
}
