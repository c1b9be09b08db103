// The page's English: the catalogue every other one follows (its type is `Catalogue`). `{phone}` marks
// where the number goes; functions take what a sentence varies by, already formatted for the
// language where it is a number (see `Formats`).

import type { Formats } from "./format";

export const catalogue = {
  language: "Language",
  loading: "Loading…",
  linkBrokenTitle: "This link doesn't work",
  linkBrokenBody:
    "The site that sent you here isn't set up to verify phone numbers with us, or its link is incomplete. Go back to that site and try again.",
  signInWaitTitle: "Too many sign-ins",
  signedOutTitle: "You are signed out",
  signedOutBody: "You can close this page, or go back to the site you came from.",
  signOutTitle: "Sign out?",
  signOutBody:
    "You are signed in on this device with your phone number. Sign out, and the next sign-in here asks for a code again.",
  signOutButton: "Sign out",
  phoneTitle: "Verify your phone number",
  phoneTitleFor: (name: string) => `Verify your phone number for ${name}`,
  phoneHelp: "We'll text you a code to confirm it's yours.",
  phoneHelpWhatsApp: "We'll send you a code on WhatsApp to confirm it's yours.",
  phoneHelpCall: "We'll call you with a code to confirm it's yours.",
  phoneHelpChoose: "Choose how we send you a code to confirm it's yours.",
  country: "Country",
  phoneNumber: "Phone number",
  enterNumber: "Enter your phone number.",
  sendCode: "Send code",
  sendingCode: "Sending code…",
  sendByWhatsApp: "Send by WhatsApp",
  sendBySms: "Send by SMS",
  codeTitle: "Enter the code",
  sentTo: "Sent to {phone}",
  sentByWhatsApp: "Sent by WhatsApp to {phone}",
  callingTo: "We're calling {phone}. Answer to hear your code.",
  changeNumber: "Change number",
  codeLabel: (digits: number, f: Formats) => `${f.number(digits)}-digit code`,
  expiresIn: (clock: string) => `Code expires in ${clock}`,
  verify: "Verify",
  checking: "Checking…",
  sending: "Sending…",
  resendIn: (clock: string) => `Resend code in ${clock}`,
  resendCode: "Resend code",
  getNewCode: "Get a new code",
  callInstead: "Call me instead",
  calling: "Calling…",
  verifiedTitle: "Phone number verified",
  verifiedBody: "{phone} is verified.",
  takingYouBack: (name: string) => `Taking you back to ${name}…`,
  verifyAnother: "Verify another number",
  simulatedPhone: "Simulated phone",
  simulatedHint: "Local mode: no SMS or call is made. Messages arrive here.",
  noMessages: "No messages yet.",
  /** A time to wait, when the API did not say how long. */
  later: "later",
  errors: {
    invalidNumber: "That number doesn't look right. Check it and the country.",
    unsupportedNumber: "This number can't receive text messages. Use a mobile number.",
    countryNotAllowed: "Numbers from this country aren't supported here. Use another number.",
    testNumberRefused:
      "This is a test number, and the site you're signing in to doesn't accept test numbers. Use your own phone number.",
    callsUnavailable: "We can't call with the code here. Use the text message.",
    channelNotOffered: "We can't send the code that way to this number. Choose another way.",
    incorrectCode: (left: number, f: Formats) =>
      `That code isn't right. ${left === 1 ? "1 attempt" : `${f.number(left)} attempts`} left.`,
    tooManyAttempts: "Too many incorrect codes. Get a new code to try again.",
    expired: "This code has expired. Get a new code.",
    notFound: "This code is no longer valid. Get a new code.",
    alreadyVerified: "This code was already used. Start again to verify another number.",
    resendTooSoon: (when: string) => `A code was just sent to this number. You can get a new one ${when}.`,
    rateLimited: (when: string) => `Too many codes were requested. Try again ${when}.`,
    tooManySignIns: (when: string) => `Too many sign-ins were started from your network. Try again ${when}.`,
    destinationPaused: (when: string) =>
      `We can't send codes to numbers like this one right now. Try again ${when}, or use another number.`,
    sendingPaused: (when: string) => `Sending codes is paused for now. Try again ${when}.`,
    sendingStopped: "Sending codes is stopped for now. Try again later.",
    botCheckFailed: "We couldn't confirm you're not a robot. Try again.",
    botCheckUnavailable:
      "The check that you're not a robot didn't load. Check your connection or turn off blockers, then try again.",
    signInExpired: "This sign-in has expired. Go back to the site that sent you here and start again.",
    providerFailed: "The text message service isn't answering. Try again in a moment.",
    forbidden: "Requests from your network aren't accepted. If you use a VPN or a proxy, turn it off and try again.",
    serviceUnavailable: "The service is busy. Try again in a moment.",
    networkError: "You seem to be offline, or the server can't be reached. Check your connection and try again.",
    general: "Something went wrong on our side. Try again in a moment.",
  },
};

export type Catalogue = typeof catalogue;
