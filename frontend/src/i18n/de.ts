import type { Catalogue } from "./en";

export const catalogue: Catalogue = {
  language: "Sprache",
  loading: "Wird geladen…",
  linkBrokenTitle: "Dieser Link funktioniert nicht",
  linkBrokenBody:
    "Die Website, die Sie hierher geschickt hat, ist nicht dafür eingerichtet, Telefonnummern bei uns zu bestätigen, oder ihr Link ist unvollständig. Kehren Sie zu dieser Website zurück und versuchen Sie es erneut.",
  signInWaitTitle: "Zu viele Anmeldungen",
  signedOutTitle: "Sie sind abgemeldet",
  signedOutBody: "Sie können diese Seite schließen oder zur Website zurückkehren, von der Sie kamen.",
  phoneTitle: "Bestätigen Sie Ihre Telefonnummer",
  phoneTitleFor: (name) => `Bestätigen Sie Ihre Telefonnummer für ${name}`,
  phoneHelp: "Wir senden Ihnen einen Code per SMS, um zu bestätigen, dass die Nummer Ihnen gehört.",
  country: "Land",
  phoneNumber: "Telefonnummer",
  enterNumber: "Geben Sie Ihre Telefonnummer ein.",
  sendCode: "Code senden",
  sendingCode: "Code wird gesendet…",
  codeTitle: "Code eingeben",
  sentTo: "Gesendet an {phone}",
  callingTo: "Wir rufen {phone} an. Nehmen Sie ab, um Ihren Code zu hören.",
  changeNumber: "Nummer ändern",
  codeLabel: (digits, f) => `${f.number(digits)}-stelliger Code`,
  expiresIn: (clock) => `Code läuft ab in ${clock}`,
  verify: "Bestätigen",
  checking: "Wird geprüft…",
  sending: "Wird gesendet…",
  resendIn: (clock) => `Code erneut senden in ${clock}`,
  resendCode: "Code erneut senden",
  getNewCode: "Neuen Code anfordern",
  callInstead: "Stattdessen anrufen",
  calling: "Anruf läuft…",
  verifiedTitle: "Telefonnummer bestätigt",
  verifiedBody: "{phone} ist bestätigt.",
  takingYouBack: (name) => `Zurück zu ${name}…`,
  verifyAnother: "Andere Nummer bestätigen",
  simulatedPhone: "Simuliertes Telefon",
  simulatedHint: "Lokaler Modus: Es wird keine SMS gesendet und kein Anruf getätigt. Nachrichten erscheinen hier.",
  noMessages: "Noch keine Nachrichten.",
  later: "später",
  errors: {
    invalidNumber: "Diese Nummer scheint nicht zu stimmen. Prüfen Sie sie und das Land.",
    unsupportedNumber: "Diese Nummer kann keine SMS empfangen. Verwenden Sie eine Mobilnummer.",
    countryNotAllowed: "Nummern aus diesem Land werden hier nicht unterstützt. Verwenden Sie eine andere Nummer.",
    testNumberRefused:
      "Das ist eine Testnummer, und die Website, bei der Sie sich anmelden, akzeptiert keine Testnummern. Verwenden Sie Ihre eigene Telefonnummer.",
    callsUnavailable: "Wir können den Code hier nicht per Anruf durchgeben. Verwenden Sie die SMS.",
    incorrectCode: (left, f) =>
      `Dieser Code ist nicht richtig. ${left === 1 ? "Noch 1 Versuch" : `Noch ${f.number(left)} Versuche`}.`,
    tooManyAttempts: "Zu viele falsche Codes. Fordern Sie einen neuen Code an, um es erneut zu versuchen.",
    expired: "Dieser Code ist abgelaufen. Fordern Sie einen neuen Code an.",
    notFound: "Dieser Code ist nicht mehr gültig. Fordern Sie einen neuen Code an.",
    alreadyVerified: "Dieser Code wurde bereits verwendet. Beginnen Sie neu, um eine andere Nummer zu bestätigen.",
    resendTooSoon: (when) => `An diese Nummer wurde gerade ein Code gesendet. Einen neuen erhalten Sie ${when}.`,
    rateLimited: (when) => `Es wurden zu viele Codes angefordert. Versuchen Sie es ${when} erneut.`,
    tooManySignIns: (when) =>
      `Aus Ihrem Netzwerk wurden zu viele Anmeldungen gestartet. Versuchen Sie es ${when} erneut.`,
    destinationPaused: (when) =>
      `Wir können gerade keine Codes an Nummern wie diese senden. Versuchen Sie es ${when} erneut oder verwenden Sie eine andere Nummer.`,
    sendingPaused: (when) => `Der Versand von Codes ist vorübergehend pausiert. Versuchen Sie es ${when} erneut.`,
    sendingStopped: "Der Versand von Codes ist vorerst gestoppt. Versuchen Sie es später erneut.",
    botCheckFailed: "Wir konnten nicht bestätigen, dass Sie kein Roboter sind. Versuchen Sie es erneut.",
    botCheckUnavailable:
      "Die Prüfung, dass Sie kein Roboter sind, wurde nicht geladen. Prüfen Sie Ihre Verbindung oder schalten Sie Blocker aus und versuchen Sie es erneut.",
    signInExpired:
      "Diese Anmeldung ist abgelaufen. Gehen Sie zurück zur Website, die Sie hierher geschickt hat, und beginnen Sie neu.",
    clientRefused:
      "Die Website, die Sie hierher geschickt hat, ist nicht dafür eingerichtet, Telefonnummern bei uns zu bestätigen. Kehren Sie zu ihr zurück und versuchen Sie es erneut.",
    providerFailed: "Der SMS-Dienst antwortet nicht. Versuchen Sie es gleich noch einmal.",
    forbidden:
      "Anfragen aus Ihrem Netzwerk werden nicht angenommen. Wenn Sie ein VPN oder einen Proxy nutzen, schalten Sie es aus und versuchen Sie es erneut.",
    serviceUnavailable: "Der Dienst ist ausgelastet. Versuchen Sie es gleich noch einmal.",
    networkError:
      "Sie scheinen offline zu sein, oder der Server ist nicht erreichbar. Prüfen Sie Ihre Verbindung und versuchen Sie es erneut.",
    general: "Bei uns ist etwas schiefgelaufen. Versuchen Sie es gleich noch einmal.",
  },
};
