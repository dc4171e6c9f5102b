// What the OAuth callback reports back to /integrations (?connected=<type> or
// ?error=<code>&provider=<type>): codes in the URL, words here. Only known codes are shown,
// so a crafted link cannot put arbitrary text on the page.
import { isOAuthErrorCode } from "@/lib/contract/api";

export { OAUTH_ERROR_CODES, isOAuthErrorCode, type OAuthErrorCode } from "@/lib/contract/api";

export function oauthErrorMessage(code: string, provider: string): string {
  const p = provider;
  switch (isOAuthErrorCode(code) ? code : "failed") {
    case "access_denied":
      return `You did not allow 2nd Brain to read your ${p}; nothing was connected.`;
    case "provider_error":
      return `${p} answered the sign-in with an error; nothing was connected. Try again.`;
    case "state_missing":
      return `The ${p} sign-in could not be matched to this browser (it expired, or was started in another browser). Start again with Connect ${p}.`;
    case "state_invalid":
      return `The ${p} sign-in came back altered or unreadable, so it was refused; nothing was connected. Start again.`;
    case "state_expired":
      return `The ${p} sign-in took longer than 10 minutes, so it was refused. Start again.`;
    case "state_mismatch":
      return `The ${p} sign-in that came back is not the one this browser started, so it was refused; nothing was connected.`;
    case "state_replayed":
      return `This ${p} sign-in was already used once, so it was refused. Start again with Connect ${p}.`;
    case "user_mismatch":
      return `The ${p} sign-in was started by another 2nd Brain account in this browser, so it was refused; nothing was connected.`;
    case "missing_code":
      return `${p} sent no authorization code back; nothing was connected. Try again.`;
    case "exchange_failed":
      return `${p} refused the authorization code (it may have expired or been used already); nothing was connected. Start again.`;
    case "provider_unreachable":
      return `Could not reach ${p} to finish the sign-in; nothing was connected. Try again in a moment.`;
    case "token_unusable":
      return `${p} issued a token that does not work; nothing was connected. Try again.`;
    case "not_configured":
      return `${p} sign-in is not configured on this server.`;
    case "sync_running":
      return `A ${p} sync is running; wait for it or cancel it, then connect again.`;
    case "unavailable":
      return `${p} is not available in this version yet.`;
    case "failed":
      return `Connecting ${p} failed; nothing was connected. Try again.`;
  }
}

export function oauthConnectedMessage(provider: string, accountLabel?: string | null): string {
  return accountLabel ? `${provider} is connected as ${accountLabel}. Sync it to bring your data in.` : `${provider} is connected. Sync it to bring your data in.`;
}
