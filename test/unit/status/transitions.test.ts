import { describe, expect, it } from "vitest";
import { EMAIL_FINAL, SMS_FINAL } from "../../../src/status/statuses";
import { isFinal, orderStatusOf, transition } from "../../../src/status/transitions";

describe("transition", () => {
  it.each([
    ["SMS_New", "SMS_Sending"],
    ["SMS_Sending", "SMS_Accepted"],
    ["SMS_Accepted", "SMS_Delivered"],
    ["SMS_New", "SMS_Failed_InvalidRecipient"],
    ["SMS_Sending", "SMS_Delivered"],
    ["Email_New", "Email_Sending"],
    ["Email_Succeeded", "Email_Failed_Bounced"],
  ] as const)("moves %s forward to %s", (from, to) => {
    expect(transition(from, to)).toEqual({ status: to, applied: true });
  });

  it.each([
    ["SMS_Accepted", "SMS_Sending"],
    ["SMS_Sending", "SMS_New"],
    ["SMS_Accepted", "SMS_Accepted"],
    ["Email_Succeeded", "Email_New"],
  ] as const)("never moves %s back or sideways to %s", (from, to) => {
    expect(transition(from, to)).toEqual({ status: from, applied: false });
  });

  it.each([...SMS_FINAL.flatMap((f) => SMS_FINAL.map((g) => [f, g] as const)), ...SMS_FINAL.map((f) => [f, "SMS_Accepted"] as const)])(
    "keeps final %s when %s is reported later",
    (from, to) => {
      expect(transition(from, to)).toEqual({ status: from, applied: false });
    },
  );

  it("keeps every email final status sticky", () => {
    for (const from of EMAIL_FINAL) for (const to of EMAIL_FINAL) expect(transition(from, to).applied).toBe(false);
  });

  it("refuses a status of the other channel", () => {
    expect(transition("SMS_New", "Email_Delivered")).toEqual({ status: "SMS_New", applied: false });
  });
});

describe("orderStatusOf", () => {
  it.each([
    ["SMS_New", "Order_Registered"],
    ["SMS_Sending", "Order_Processing"],
    ["SMS_Accepted", "Order_Processed"],
    ["Email_Succeeded", "Order_Processed"],
    ["SMS_Delivered", "Order_Completed"],
    ["SMS_Failed_TTL", "Order_Completed"],
    ["Email_Failed_Bounced", "Order_Completed"],
  ] as const)("derives the order status from recipient status %s", (recipient, order) => {
    expect(orderStatusOf(recipient)).toBe(order);
  });

  it("calls exactly the final statuses final", () => {
    expect([...SMS_FINAL, ...EMAIL_FINAL].every(isFinal)).toBe(true);
    expect(["SMS_New", "SMS_Sending", "SMS_Accepted", "Email_New", "Email_Sending", "Email_Succeeded"].some((s) => isFinal(s as never))).toBe(false);
  });
});
