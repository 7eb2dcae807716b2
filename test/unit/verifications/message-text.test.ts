// The message as sent: the code in place of `{code}`, and for an SMS at most one of WebOTP's last line
// and Android's app hash line; and what fits in the SMS Retriever's 140 bytes.
import { describe, expect, it } from "vitest";
import { CODE_PLACEHOLDER, codeIn, countPlaceholders, fitsSmsRetriever, smsText, webOtpLine, withCode } from "../../../src/verifications/message-text";

describe("countPlaceholders", () => {
  it.each([
    ["no placeholder", "Your code", 0],
    ["one", "Your code is {code}.", 1],
    ["two", "{code} or {code}", 2],
    ["adjacent", "{code}{code}", 2],
    ["other braces only", "{Code} {code } { code}", 0],
    ["only the placeholder", CODE_PLACEHOLDER, 1],
  ])("%s", (_, text, count) => {
    expect(countPlaceholders(text)).toBe(count);
  });
});

describe("withCode", () => {
  it("puts the code where {code} is, wherever that is", () => {
    expect(withCode("Your code is {code}.", "428516")).toBe("Your code is 428516.");
    expect(withCode("{code} is your code", "0042")).toBe("0042 is your code");
    expect(withCode("Code: {code}", "1234567890")).toBe("Code: 1234567890");
  });

  it("takes the code literally (no replacement patterns)", () => {
    expect(withCode("a {code} b", "$&$'")).toBe("a $&$' b");
  });

  it.each(["no placeholder", "{code} twice {code}"])("refuses a template that is not valid: %s", (template) => {
    expect(() => withCode(template, "1234")).toThrow();
  });
});

describe("smsText", () => {
  it("without a format: the template with the code", () => {
    expect(smsText("Your code is {code}.", "428516", {})).toBe("Your code is 428516.");
  });

  it("with webOtpDomain: ends with the line @<domain> #<code>, after a line feed", () => {
    const sent = smsText("Your Altinn code is {code}. It expires in 5 minutes.", "428516", { webOtpDomain: "login.example.no" });
    expect(sent).toBe("Your Altinn code is 428516. It expires in 5 minutes.\n@login.example.no #428516");
    // WebOTP's parser: the last line (CR and CRLF read as LF) starts with @host, one space, #code.
    expect(sent.replace(/\r\n?/g, "\n").split("\n").at(-1)).toMatch(/^@login\.example\.no #428516$/);
  });

  it("with webOtpDomain, the WebOTP line is still the last line of a template that ends with CR LF", () => {
    const sent = smsText("Code {code}\r\n", "1234", { webOtpDomain: "a.example" });
    expect(sent.replace(/\r\n?/g, "\n").split("\n").at(-1)).toBe("@a.example #1234");
  });

  it("with androidAppHash: ends with the 11-character hash on its own line", () => {
    expect(smsText("Your ExampleApp code is: {code}", "12345678", { androidAppHash: "FA+9qCX9VSu" })).toBe("Your ExampleApp code is: 12345678\nFA+9qCX9VSu");
  });

  it("never both", () => {
    expect(() => smsText("{code}", "1234", { webOtpDomain: "a.example", androidAppHash: "FA+9qCX9VSu" })).toThrow();
  });

  it("webOtpLine", () => {
    expect(webOtpLine("login.example.no", "428516")).toBe("@login.example.no #428516");
  });
});

describe("fitsSmsRetriever: the whole SMS in 140 bytes, one segment", () => {
  it.each([
    ["160 GSM-7 characters (140 bytes of septets)", "a".repeat(160), true],
    ["161 GSM-7 characters", "a".repeat(161), false],
    ["158 GSM-7 septets with an extension character (2 septets)", `${"a".repeat(158)}€`, true],
    ["159 GSM-7 septets with an extension character", `${"a".repeat(159)}€`, false],
    ["70 UCS-2 units (140 bytes)", "ç".repeat(70), true],
    ["71 UCS-2 units", "ç".repeat(71), false],
    ["a surrogate pair counts as two units: 68 + 2", `${"ç".repeat(68)}😀`, true],
    ["69 + 2 units", `${"ç".repeat(69)}😀`, false],
  ])("%s → %s", (_, text, fits) => {
    expect(fitsSmsRetriever(text)).toBe(fits);
  });

  it("a message is counted with the code and the hash line in place: 148 + 12 fits, 149 + 12 does not", () => {
    // "{code}" and a 6-digit code have the same length; the hash line adds "\n" and 11 characters.
    const fits = smsText(`${"x".repeat(142)}{code}`, "123456", { androidAppHash: "FA+9qCX9VSu" });
    const over = smsText(`${"x".repeat(143)}{code}`, "123456", { androidAppHash: "FA+9qCX9VSu" });
    expect([fits.length, over.length]).toEqual([160, 161]);
    expect([fitsSmsRetriever(fits), fitsSmsRetriever(over)]).toEqual([true, false]);
  });
});

describe("codeIn: the code in a message made from a template", () => {
  it("finds the code where the template had its placeholder, with a WebOTP line after it", () => {
    expect(codeIn("Your code is 428516.\n@login.example.no #428516", "Your code is {code}.", 6)).toBe("428516");
    expect(codeIn("<p>1234567890</p>", "<p>{code}</p>", 10)).toBe("1234567890");
  });
  it("answers null for a message not made from it", () => {
    expect(codeIn("Din kode er 428516.", "Your code is {code}.", 6)).toBeNull();
    expect(codeIn("Your code is 42851.", "Your code is {code}.", 6)).toBeNull();
  });
});
