import { describe, expect, it } from "vitest";
import { allowedPortsOf, embeddedIpv4, isLocalhost, isNonPublicAddress, parseIpv6, receiverUrlProblem } from "../../../src/webhooks/url-rules";

const NON_PUBLIC = "Must not be an IP address in a private, loopback, link-local, multicast or other non-public range.";

describe("receiver URL rules", () => {
  it.each([
    "https://example.com/hooks",
    "https://example.com:443/a?b=c",
    "https://93.184.216.34/x",
    "https://[2606:2800:220:1:248:1893:25c8:1946]/",
    "https://[::ffff:8.8.8.8]/", // IPv4-mapped, of a public address
    "https://[2002:808:808::1]/", // 6to4 of 8.8.8.8
    "https://[64:ff9b::808:808]/", // NAT64 of 8.8.8.8
    "https://localhost.example.com/",
    "https://mylocalhost/",
  ])("accepts %s everywhere", (url) => {
    expect(receiverUrlProblem(url, false)).toBeNull();
    expect(receiverUrlProblem(url, true)).toBeNull();
  });

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
});

describe("in production, an IP literal in a non-public range, in any spelling", () => {
  it.each([
    // IPv4: the usual private and special ranges
    "https://0.0.0.0/",
    "https://0.1.2.3/",
    "https://10.1.2.3/",
    "https://100.64.0.1/",
    "https://100.127.255.254/",
    "https://127.0.0.1/",
    "https://127.255.0.9/",
    "https://169.254.169.254/latest/meta-data",
    "https://172.16.0.1/",
    "https://172.31.255.255/",
    "https://192.0.0.8/",
    "https://192.0.2.1/",
    "https://192.88.99.1/",
    "https://192.168.1.1/",
    "https://198.18.0.1/",
    "https://198.19.255.254/",
    "https://198.51.100.7/",
    "https://203.0.113.9/",
    "https://224.0.0.1/", // multicast
    "https://239.255.255.250/", // multicast (SSDP)
    "https://240.0.0.1/", // reserved
    "https://255.255.255.255/", // broadcast
    // IPv4 spellings the URL parser normalises
    "https://2130706433/", // 127.0.0.1 as one decimal number
    "https://0x7f000001/", // one hex number
    "https://0x7f.1/", // hex, short form
    "https://0177.0.0.1/", // octal
    "https://127.1/", // short form
    "https://127.0.0.1./", // trailing dot
    "https://%31%32%37.0.0.1/", // percent-encoded
    "https://１２７.0.0.1/", // full-width digits
    "https://0/", // 0.0.0.0
    "https://167772161/", // 10.0.0.1
    "https://0xa9.0xfe.0xa9.0xfe/", // 169.254.169.254
    // IPv6: special ranges
    "https://[::]/",
    "https://[::1]/",
    "https://[0:0:0:0:0:0:0:1]/",
    "https://[fc00::1]/",
    "https://[fd12:3456:789a::1]/",
    "https://[fe80::1]/",
    "https://[febf::1]/",
    "https://[fec0::1]/", // site-local (deprecated)
    "https://[ff02::1]/", // multicast
    "https://[ff0e::1]/", // multicast, global scope
    "https://[2001:db8::1]/", // documentation
    "https://[3fff::1]/", // documentation
    "https://[100::1]/", // discard-only
    "https://[2001:2::1]/", // benchmarking
    "https://[5f00::1]/", // SRv6
    "https://[4000::1]/", // outside global unicast
    // IPv6 forms that embed a non-public IPv4 address
    "https://[::ffff:127.0.0.1]/", // IPv4-mapped
    "https://[::ffff:7f00:1]/", // IPv4-mapped, in hex
    "https://[::ffff:0:127.0.0.1]/", // IPv4-translated
    "https://[0:0:0:0:0:ffff:10.0.0.1]/", // IPv4-mapped, uncompressed
    "https://[::ffff:10.0.0.1]/",
    "https://[::ffff:c0a8:101]/", // 192.168.1.1
    "https://[::ffff:169.254.169.254]/",
    "https://[::ffff:255.255.255.255]/",
    "https://[::127.0.0.1]/", // IPv4-compatible
    "https://[::10.0.0.1]/", // IPv4-compatible
    "https://[2002:7f00:1::]/", // 6to4 of 127.0.0.1
    "https://[2002:c0a8:101::1]/", // 6to4 of 192.168.1.1
    "https://[2002:a9fe:a9fe::]/", // 6to4 of 169.254.169.254
    "https://[64:ff9b::a9fe:a9fe]/", // NAT64 of 169.254.169.254
    "https://[64:ff9b::127.0.0.1]/", // NAT64 of 127.0.0.1
    "https://[64:ff9b::10.0.0.1]/", // NAT64 of 10.0.0.1
    "https://[64:ff9b:1::a00:1]/", // local-use NAT64
    "https://[64:ff9b:1:7f00:0:100::]/", // local-use NAT64, /48 layout of 127.0.0.1
    "https://[2001::1]/", // Teredo
    "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", // Teredo (RFC 4380's example)
    "https://[2001:0:0a00:0001::f5ff:fffe]/", // Teredo, client 10.0.0.1 obfuscated
  ])("refuses %s", (url) => {
    expect(receiverUrlProblem(url, true)).toBe(NON_PUBLIC);
    expect(receiverUrlProblem(url, false)).toBeNull(); // outside production, any address
  });
});

describe("in production, localhost", () => {
  it.each([
    "https://localhost/",
    "https://LOCALHOST/",
    "https://localhost./",
    "https://localhost../",
    "https://api.localhost/",
    "https://a.b.localhost./",
    "https://%6cocalhost/", // percent-encoded
    "https://ｌｏｃａｌｈｏｓｔ/", // full-width
  ])("refuses %s", (url) => {
    expect(receiverUrlProblem(url, true)).toBe("Must not be localhost.");
    expect(receiverUrlProblem(url, false)).toBeNull();
  });

  it.each([
    ["localhost", true],
    ["localhost.", true],
    ["x.localhost", true],
    ["localhost.example.com", false],
    ["notlocalhost", false],
    ["localhostx", false],
  ] as const)("%s is localhost: %s", (host, expected) => expect(isLocalhost(host)).toBe(expected));
});

describe("in production, the port", () => {
  it.each(["https://example.com:8443/", "https://example.com:80/", "https://example.com:1/", "https://93.184.216.34:22/"])("refuses %s: 443 only by default", (url) => {
    expect(receiverUrlProblem(url, true)).toBe("Must use port 443.");
    expect(receiverUrlProblem(url, false)).toBeNull();
  });

  it("accepts the ports the deployment allows, and only those", () => {
    expect(receiverUrlProblem("https://example.com:8443/", true, [8443, 9443])).toBeNull();
    expect(receiverUrlProblem("https://example.com:9443/", true, [8443, 9443])).toBeNull();
    expect(receiverUrlProblem("https://example.com/", true, [8443])).toBeNull();
    expect(receiverUrlProblem("https://example.com:443/", true, [8443])).toBeNull();
    expect(receiverUrlProblem("https://example.com:8080/", true, [8443, 9443])).toBe("Must use port 443 or one of 8443, 9443.");
  });

  it.each([
    [undefined, []],
    ["", []],
    ["8443", [8443]],
    [" 8443 , 9443,", [8443, 9443]],
    ["0,65535,65536,-1,80x,x", [65535]],
  ] as const)("CALLBACK_ALLOWED_PORTS %j is %j", (value, ports) => expect(allowedPortsOf(value)).toEqual(ports));
});

describe("IPv6 parsing and embedded IPv4", () => {
  it.each([
    ["::", [0, 0, 0, 0, 0, 0, 0, 0]],
    ["::1", [0, 0, 0, 0, 0, 0, 0, 1]],
    ["2001:db8::8:800:200c:417a", [0x2001, 0xdb8, 0, 0, 0x8, 0x800, 0x200c, 0x417a]],
    ["::ffff:127.0.0.1", [0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]],
    ["1:2:3:4:5:6:7:8", [1, 2, 3, 4, 5, 6, 7, 8]],
  ])("%s", (text, groups) => expect(parseIpv6(text)).toEqual(groups));

  it.each(["1:2:3:4:5:6:7", "1::2::3", "1:2:3:4:5:6:7:8:9", "::g", "::12345", "::1.2.3.256", "1:2:3:4:5:6:7::8"])("refuses %s", (text) => expect(parseIpv6(text)).toBeNull());

  it.each([
    ["::ffff:7f00:1", [127, 0, 0, 1]],
    ["::ffff:0:7f00:1", [127, 0, 0, 1]],
    ["::a00:1", [10, 0, 0, 1]],
    ["64:ff9b::c0a8:101", [192, 168, 1, 1]],
    ["2002:c0a8:101::1", [192, 168, 1, 1]],
    ["2606:2800:220:1:248:1893:25c8:1946", null],
  ])("%s embeds %j", (text, v4) => expect(embeddedIpv4(parseIpv6(text)!)).toEqual(v4));

  it.each([
    "172.15.255.255",
    "172.32.0.1",
    "192.169.0.1",
    "11.0.0.1",
    "100.63.255.255",
    "100.128.0.1",
    "198.17.255.255",
    "198.20.0.1",
    "223.255.255.255",
    "[2606:4700::1111]",
    "[2a00:1450:4001::200e]",
    "[2001:200::1]", // outside 2001::/23
    "[::ffff:8.8.8.8]",
    "example.com",
    "localhost",
  ])("%s is not a non-public IP literal", (host) => expect(isNonPublicAddress(host)).toBe(false));
});
