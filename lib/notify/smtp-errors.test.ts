import { describe, expect, it } from "vitest";
import { describeSendError, scrubSecrets } from "@/lib/notify/smtp-errors";

const where = { host: "smtp.example.com", port: 587, secrets: ["hunter2-pass"], user: "mailer" };

function err(props: Record<string, unknown>, message = "failed"): Error {
  return Object.assign(new Error(message), props);
}

describe("send errors in words", () => {
  it.each<[string, Record<string, unknown>, RegExp, boolean]>([
    ["refused connection", { code: "ESOCKET", originalCode: "ECONNREFUSED" }, /Could not connect to the mail server smtp\.example\.com:587 \(connection refused\)/, false],
    ["wrong password", { code: "EAUTH", response: "535 5.7.8 Authentication credentials invalid", responseCode: 535, permanent: true }, /refused the login\. The server said: "535 5\.7\.8 Authentication credentials invalid"\. Check SMTP_USER and SMTP_PASSWORD/, false],
    ["timeout", { code: "ETIMEDOUT", timeoutType: "GREETING_TIMEOUT" }, /did not answer in time \(greeting timeout\)/, false],
    ["TLS", { code: "ETLS" }, /Could not set up an encrypted connection to smtp\.example\.com:587/, false],
    ["untrusted certificate", { code: "ESOCKET", originalCode: "DEPTH_ZERO_SELF_SIGNED_CERT" }, /certificate we do not trust .* SMTP_TLS_CA/, false],
    ["recipient refused for good", { code: "EENVELOPE", response: "550 5.1.1 No such user", responseCode: 550, permanent: true, recipient: "a@b.c" }, /refused the message for a@b\.c\. The server said: "550 5\.1\.1 No such user"/, true],
    ["recipient deferred", { code: "EENVELOPE", response: "451 try later", responseCode: 451, permanent: false }, /refused the message/, false],
  ])("%s", (_, props, message, permanent) => {
    const f = describeSendError(err(props, props.code === "ESOCKET" && props.originalCode !== "ECONNREFUSED" ? "self-signed certificate" : "failed"), where);
    expect(f.message).toMatch(message);
    expect(f.permanent).toBe(permanent);
  });

  it("never contains the password, even when the server echoes it", () => {
    const plain = Buffer.from("\u0000mailer\u0000hunter2-pass").toString("base64");
    const login = Buffer.from("hunter2-pass").toString("base64");
    const f = describeSendError(err({ code: "EAUTH", response: `535 bad ${plain} ${login} hunter2-pass` }), where);
    expect(f.message).not.toContain("hunter2-pass");
    expect(f.message).not.toContain(plain);
    expect(f.message).not.toContain(login);
    expect(f.message).toContain("535 bad *** *** ***");
  });

  it("is bounded", () => {
    expect(describeSendError(err({}, "x".repeat(5000)), where).message.length).toBeLessThanOrEqual(500);
  });

  it("scrubSecrets ignores empty secrets", () => {
    expect(scrubSecrets("abc", [""])).toBe("abc");
  });
});
