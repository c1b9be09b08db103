import type { Catalogue } from "./en";

/** Arabic's plural forms (zero, one, two, few, many, other), as CLDR defines them. */
const plural = new Intl.PluralRules("ar");

const ar: Catalogue = {
  language: "اللغة",
  loading: "جارٍ التحميل…",
  linkBrokenTitle: "هذا الرابط لا يعمل",
  linkBrokenBody:
    "الموقع الذي أرسلك إلى هنا غير مُعدّ للتحقق من أرقام الهواتف معنا، أو أن رابطه غير مكتمل. ارجع إلى ذلك الموقع وحاول مرة أخرى.",
  phoneTitle: "تحقّق من رقم هاتفك",
  phoneTitleFor: (name) => `تحقّق من رقم هاتفك لدى ${name}`,
  phoneHelp: "سنرسل إليك رمزًا في رسالة نصية لنتأكد من أن الرقم لك.",
  country: "البلد",
  phoneNumber: "رقم الهاتف",
  enterNumber: "أدخل رقم هاتفك.",
  sendCode: "إرسال الرمز",
  sendingCode: "جارٍ إرسال الرمز…",
  codeTitle: "أدخل الرمز",
  sentTo: "أُرسل إلى {phone}",
  callingTo: "نتصل الآن بالرقم {phone}. أجب لتسمع رمزك.",
  changeNumber: "تغيير الرقم",
  codeLabel: (digits, f) => `رمز من ${f.number(digits)} أرقام`,
  expiresIn: (clock) => `تنتهي صلاحية الرمز خلال ${clock}`,
  verify: "تحقّق",
  checking: "جارٍ التحقق…",
  sending: "جارٍ الإرسال…",
  resendIn: (clock) => `إعادة إرسال الرمز خلال ${clock}`,
  resendCode: "إعادة إرسال الرمز",
  getNewCode: "الحصول على رمز جديد",
  callInstead: "اتصل بي بدلًا من ذلك",
  calling: "جارٍ الاتصال…",
  verifiedTitle: "تم التحقق من رقم الهاتف",
  verifiedBody: "تم التحقق من {phone}.",
  takingYouBack: (name) => `جارٍ إعادتك إلى ${name}…`,
  verifyAnother: "التحقق من رقم آخر",
  simulatedPhone: "هاتف محاكى",
  simulatedHint: "الوضع المحلي: لا تُرسل أي رسالة نصية ولا يُجرى أي اتصال. تصل الرسائل إلى هنا.",
  noMessages: "لا توجد رسائل بعد.",
  later: "لاحقًا",
  errors: {
    invalidNumber: "يبدو أن هذا الرقم غير صحيح. تحقّق منه ومن البلد.",
    unsupportedNumber: "لا يمكن لهذا الرقم استقبال الرسائل النصية. استخدم رقم هاتف محمول.",
    countryNotAllowed: "أرقام هذا البلد غير مدعومة هنا. استخدم رقمًا آخر.",
    callsUnavailable: "لا يمكننا الاتصال بك لإبلاغك بالرمز هنا. استخدم الرسالة النصية.",
    incorrectCode: (left, f) => {
      const remaining = {
        zero: "لم تتبقَّ أي محاولة",
        one: "تبقّت محاولة واحدة",
        two: "تبقّت محاولتان",
        few: `تبقّت ${f.number(left)} محاولات`,
        many: `تبقّت ${f.number(left)} محاولة`,
        other: `تبقّت ${f.number(left)} محاولة`,
      }[plural.select(left)];
      return `هذا الرمز غير صحيح. ${remaining}.`;
    },
    tooManyAttempts: "رموز غير صحيحة كثيرة. احصل على رمز جديد لتحاول مرة أخرى.",
    expired: "انتهت صلاحية هذا الرمز. احصل على رمز جديد.",
    notFound: "هذا الرمز لم يعد صالحًا. احصل على رمز جديد.",
    alreadyVerified: "استُخدم هذا الرمز من قبل. ابدأ من جديد للتحقق من رقم آخر.",
    resendTooSoon: (when) => `أرسلنا للتو رمزًا إلى هذا الرقم. يمكنك الحصول على رمز جديد ${when}.`,
    rateLimited: (when) => `طُلب عدد كبير جدًا من الرموز. حاول مرة أخرى ${when}.`,
    destinationPaused: (when) =>
      `لا يمكننا إرسال رموز إلى أرقام مثل هذا الرقم الآن. حاول مرة أخرى ${when}، أو استخدم رقمًا آخر.`,
    sendingPaused: (when) => `إرسال الرموز متوقف مؤقتًا. حاول مرة أخرى ${when}.`,
    sendingStopped: "إرسال الرموز متوقف حاليًا. حاول مرة أخرى لاحقًا.",
    botCheckFailed: "لم نتمكن من التأكد من أنك لست روبوتًا. حاول مرة أخرى.",
    botCheckUnavailable: "لم يتم تحميل التحقق من أنك لست روبوتًا. تحقّق من اتصالك أو أوقف أدوات الحظر، ثم حاول مرة أخرى.",
    clientRefused: "الموقع الذي أرسلك إلى هنا غير مُعدّ للتحقق من أرقام الهواتف معنا. ارجع إليه وحاول مرة أخرى.",
    providerFailed: "خدمة الرسائل النصية لا تستجيب. حاول مرة أخرى بعد قليل.",
    forbidden: "لا نقبل الطلبات من شبكتك. إذا كنت تستخدم شبكة VPN أو خادمًا وكيلًا، فأوقفه وحاول مرة أخرى.",
    serviceUnavailable: "الخدمة مشغولة. حاول مرة أخرى بعد قليل.",
    networkError: "يبدو أنك غير متصل، أو تعذّر الوصول إلى الخادم. تحقّق من اتصالك وحاول مرة أخرى.",
    general: "حدث خطأ من جانبنا. حاول مرة أخرى بعد قليل.",
  },
};

export default ar;
