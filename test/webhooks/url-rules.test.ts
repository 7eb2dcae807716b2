import { describe, expect, it } from "vitest";
import { isInternalAddress, receiverUrlProblem } from "../../src/webhooks/url-rules";

describe("receiver URL rules", () => {
  it.each(["https://example.com/hooks", "https://example.com:8443/a?b=c", "https://93.184.216.34/x", "https://[2606:2800:220:1:248:1893:25c8:1946]/"])(
    "accepts %s everywhere",
    (url) => {
      expect(receiverUrlProblem(url, false)).toBeNull();
      expect(receiverUrlProblem(url, true)).toBeNull();
    },
  );

  it.each(["http://localhost:9000", "http://127.0.0.1:9000/cb", "http://[::1]:9000/"])("accepts %s outside production only", (url) => {
    expect(receiverUrlProblem(url, false)).toBeNull();
    expect(receiverUrlProblem(url, true)).toBe("Must use https.");
  });

  it.each(["http://example.com/", "http://10.0.0.1/", "http://localhost.example.com/", "ftp://example.com/", "javascript:alert(1)", "ws://localhost/"])(
    "refuses %s (not https)",
    (url) => expect(receiverUrlProblem(url, false)).toMatch(/^Must use https/),
  );

  it.each(["example.com/hooks", "/hooks", "", "https://"])("refuses %j (not an absolute URL)", (url) => expect(receiverUrlProblem(url, false)).toBe("Must be an absolute URL."));

  it.each(["https://user:pass@example.com/", "https://user@example.com/", "https://:pass@example.com/"])("refuses user info in %s", (url) =>
    expect(receiverUrlProblem(url, false)).toBe("Must not contain user info."),
  );

  it("takes at most 2,048 characters", () => {
    const base = "https://example.com/";
    expect(receiverUrlProblem(base + "a".repeat(2048 - base.length), true)).toBeNull();
    expect(receiverUrlProblem(base + "a".repeat(2049 - base.length), true)).toBe("Must be at most 2048 characters.");
  });

  it.each([
    "https://127.0.0.1/",
    "https://127.255.0.9/",
    "https://10.1.2.3/",
    "https://172.16.0.1/",
    "https://172.31.255.255/",
    "https://192.168.1.1/",
    "https://169.254.169.254/latest/meta-data",
    "https://0.0.0.0/",
    "https://100.64.0.1/",
    "https://2130706433/", // 127.0.0.1 as one number
    "https://0x7f.1/", // 127.0.0.1 in hex, short form
    "https://[::1]/",
    "https://[::]/",
    "https://[fc00::1]/",
    "https://[fd12:3456:789a::1]/",
    "https://[fe80::1]/",
    "https://[febf::1]/",
    "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:10.0.0.1]/",
    "https://[::ffff:c0a8:101]/",
    "https://[64:ff9b::a9fe:a9fe]/",
  ])("refuses the internal address %s in production, not outside it", (url) => {
    expect(receiverUrlProblem(url, true)).toBe("Must not be a loopback, private, link-local or unique-local IP address.");
    expect(receiverUrlProblem(url, false)).toBeNull();
  });

  it.each(["172.15.255.255", "172.32.0.1", "192.169.0.1", "11.0.0.1", "100.63.255.255", "100.128.0.1", "[2001:db8::1]", "[fe00::1]", "[::ffff:8.8.8.8]", "example.com", "localhost"])(
    "does not take %s for an internal IP literal",
    (host) => expect(isInternalAddress(host)).toBe(false),
  );
});
