import { describe, expect, it } from "vitest";
import { MailConfigError, SMTP_TIMEOUTS, resolveMailConfig, type SmtpSettings } from "@/lib/notify/config";

const full: SmtpSettings = {
  SMTP_HOST: "smtp.example.com",
  SMTP_PORT: 587,
  SMTP_USER: "mailer",
  SMTP_PASSWORD: "s3cret",
  SMTP_FROM_EMAIL: "noreply@2ndbrain.ai",
  SMTP_FROM_NAME: undefined,
  SMTP_TLS_CA: undefined,
  SMTP_TLS_REJECT_UNAUTHORIZED: true,
};

const none: SmtpSettings = {
  SMTP_HOST: undefined,
  SMTP_PORT: undefined,
  SMTP_USER: undefined,
  SMTP_PASSWORD: undefined,
  SMTP_FROM_EMAIL: undefined,
  SMTP_FROM_NAME: undefined,
  SMTP_TLS_CA: undefined,
  SMTP_TLS_REJECT_UNAUTHORIZED: true,
};

function smtp(s: SmtpSettings) {
  const c = resolveMailConfig(s, () => "PEM");
  if (c.kind !== "smtp") throw new Error("expected smtp");
  return c;
}

describe("mail configuration", () => {
  it("without SMTP_HOST: the built-in outbox", () => {
    expect(resolveMailConfig(none)).toEqual({ kind: "outbox" });
    expect(resolveMailConfig({ ...none, SMTP_FROM_NAME: "2nd Brain" })).toEqual({ kind: "outbox" });
  });

  it("port 587: STARTTLS required, never clear text", () => {
    const c = smtp(full);
    expect(c.transport).toMatchObject({ host: "smtp.example.com", port: 587, secure: false, requireTLS: true });
  });

  it("port 465: implicit TLS", () => {
    const c = smtp({ ...full, SMTP_PORT: 465 });
    expect(c.transport.secure).toBe(true);
    expect(c.transport.requireTLS).toBe(false);
  });

  it.each([25, 2525, 1587])("port %i: STARTTLS required too", (port) => {
    expect(smtp({ ...full, SMTP_PORT: port }).transport).toMatchObject({ secure: false, requireTLS: true });
  });

  it("defaults: port 587, From name 2nd Brain, bounded timeouts, verified certificates", () => {
    const c = smtp({ ...full, SMTP_PORT: undefined });
    expect(c.port).toBe(587);
    expect(c.from).toEqual({ name: "2nd Brain", address: "noreply@2ndbrain.ai" });
    expect(c.transport).toMatchObject(SMTP_TIMEOUTS);
    expect(SMTP_TIMEOUTS).toEqual({ connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 });
    expect(c.transport.tls).toMatchObject({ rejectUnauthorized: true });
    expect(c.transport.auth).toEqual({ user: "mailer", pass: "s3cret" });
    expect(c.secrets).toEqual(["s3cret"]);
  });

  it("SMTP_FROM_NAME overrides the name", () => {
    expect(smtp({ ...full, SMTP_FROM_NAME: "Brain Bot" }).from.name).toBe("Brain Bot");
  });

  it("a server without login (no user, no password) is allowed", () => {
    const c = smtp({ ...full, SMTP_USER: undefined, SMTP_PASSWORD: undefined });
    expect(c.transport.auth).toBeUndefined();
    expect(c.secrets).toEqual([]);
  });

  it("SMTP_TLS_CA is read and trusted; SMTP_TLS_REJECT_UNAUTHORIZED=false turns verification off", () => {
    const read: string[] = [];
    const c = resolveMailConfig({ ...full, SMTP_TLS_CA: "/certs/ca.pem" }, (p) => {
      read.push(p);
      return "-----BEGIN CERTIFICATE-----";
    });
    expect(read).toEqual(["/certs/ca.pem"]);
    expect(c.kind === "smtp" && c.transport.tls).toMatchObject({ ca: "-----BEGIN CERTIFICATE-----", rejectUnauthorized: true });
    expect(smtp({ ...full, SMTP_TLS_REJECT_UNAUTHORIZED: false }).transport.tls).toMatchObject({ rejectUnauthorized: false });
  });

  it.each<[string, Partial<SmtpSettings>, RegExp]>([
    ["host without From", { SMTP_FROM_EMAIL: undefined }, /SMTP_HOST is set but SMTP_FROM_EMAIL is missing/],
    ["user without password", { SMTP_PASSWORD: undefined }, /SMTP_HOST is set but SMTP_PASSWORD is missing/],
    ["password without user", { SMTP_USER: undefined }, /SMTP_HOST is set but SMTP_USER is missing/],
    ["From and password missing", { SMTP_FROM_EMAIL: undefined, SMTP_PASSWORD: undefined }, /SMTP_FROM_EMAIL and SMTP_PASSWORD are missing/],
    ["settings without host", { SMTP_HOST: undefined }, /SMTP_PORT, SMTP_USER, SMTP_PASSWORD, SMTP_FROM_EMAIL are set but SMTP_HOST is missing/],
    ["only a user", { ...none, SMTP_USER: "mailer" }, /SMTP_USER is set but SMTP_HOST is missing/],
    ["a From that is not an address", { SMTP_FROM_EMAIL: "2nd Brain" }, /SMTP_FROM_EMAIL \("2nd Brain"\) is not an email address/],
  ])("half-set (%s) is an error naming the variables", (_, patch, message) => {
    expect(() => resolveMailConfig({ ...full, ...patch })).toThrow(MailConfigError);
    expect(() => resolveMailConfig({ ...full, ...patch })).toThrow(message);
  });

  it("an unreadable SMTP_TLS_CA is an error naming it", () => {
    expect(() =>
      resolveMailConfig({ ...full, SMTP_TLS_CA: "/nope.pem" }, () => {
        throw new Error("ENOENT: no such file");
      }),
    ).toThrow(/SMTP_TLS_CA: cannot read \/nope\.pem \(ENOENT: no such file\)/);
  });

  it("never puts the password in an error", () => {
    try {
      resolveMailConfig({ ...full, SMTP_FROM_EMAIL: undefined });
    } catch (error) {
      expect(String(error)).not.toContain("s3cret");
    }
  });
});
