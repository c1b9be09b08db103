// The two API calls, with every answer turned into a typed result.

const BASE = (import.meta.env.VITE_API_BASE_URL as string | undefined) ?? "/api";

export interface CodeSent {
  requestId: string;
  phoneNumber: string;
  expiresAt: string;
  resendAvailableAt: string;
  codeLength: number;
}

export interface Verified {
  verified: true;
  message: string;
  phoneNumber: string;
  verifiedAt: string;
}

export interface ApiError {
  code: string;
  error: string;
  retryAfter?: number;
  attemptsRemaining?: number;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

async function post<T>(path: string, body: unknown): Promise<Result<T>> {
  let response: Response;
  try {
    response = await fetch(`${BASE}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch {
    return {
      ok: false,
      error: { code: "network_error", error: "Could not reach the server. Check your connection and try again." },
    };
  }
  const json = await response.json().catch(() => null);
  if (response.ok && json) return { ok: true, value: json as T };
  if (json && typeof json.code === "string") return { ok: false, error: json as ApiError };
  return { ok: false, error: { code: "server_error", error: `The server answered ${response.status}. Try again shortly.` } };
}

export const requestOtp = (phoneNumber: string) => post<CodeSent>("/request-otp", { phoneNumber });

export const verifyOtp = (requestId: string, code: string) => post<Verified>("/verify-otp", { requestId, code });
