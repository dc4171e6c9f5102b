// Seeded, deterministic data for the GitHub sandbox. Pure: the same inputs give the same
// objects (and so the same JSON bytes); nothing here reads the clock, the network or
// randomness. Everything is computed lazily per page: finding the items of one page costs
// O(page size), never O(scenario.items).
//
// Model
// - The scenario has `items` issues + pull requests, numbered by a global index i = 0..items-1.
//   Item i has updated_at = 2026-01-01T00:00:00Z + i minutes, so raising `items` only ever
//   appends items that are newer than every earlier one (this is what incremental sync tests use).
// - There are clamp(ceil(items / 50), 1, 20) repositories. Items are dealt round-robin over the
//   repositories that exist *when the item is created*: item i goes to repo i % min(floor(i/50)+1, 20).
//   That keeps every item in the same repository with the same number when `items` grows
//   (a plain i % repoCount(items) would reshuffle every item whenever a repository is added).
// - Within repository j, its items in index order have numbers 1, 2, 3, ... Every third number is
//   closed, the rest are open. created_at and updated_at both grow with i, so sort=created and
//   sort=updated give the same order.
import type { RestEndpointMethodTypes } from "@octokit/rest";

export type GithubIssue = RestEndpointMethodTypes["issues"]["listForRepo"]["response"]["data"][number];
export type GithubRepo = RestEndpointMethodTypes["repos"]["listForAuthenticatedUser"]["response"]["data"][number];
export type GithubAuthenticatedUser = RestEndpointMethodTypes["users"]["getAuthenticated"]["response"]["data"];
export type GithubRateLimitOverview = RestEndpointMethodTypes["rateLimit"]["get"]["response"]["data"];
type SimpleUser = GithubRepo["owner"];
type IssueLabel = Exclude<GithubIssue["labels"][number], string>;

export const API_ORIGIN = "https://api.github.com";
export const WEB_ORIGIN = "https://github.com";
export const DEFAULT_LOGIN = "sandbox-user";
/** updated_at of item 0; item i is `i` minutes later. */
export const ITEMS_EPOCH_MS = Date.UTC(2026, 0, 1);
export const ITEM_SPACING_MS = 60_000;
const CREATED_EPOCH_MS = Date.UTC(2025, 5, 1);
const REPO_EPOCH_MS = Date.UTC(2025, 0, 6, 9, 30);
const USER_CREATED_AT = "2024-03-14T15:09:26Z";

export const ITEMS_PER_REPO_STEP = 50;
export const MAX_REPOS = 20;
/** Items below this index live in blocks with fewer than MAX_REPOS repositories. */
const SMALL_LIMIT = ITEMS_PER_REPO_STEP * (MAX_REPOS - 1); // 950

const REPO_WORDS = [
  "atlas", "nimbus", "quartz", "ember", "lumen", "orbit", "cascade", "pixel", "harbor", "sable",
  "tundra", "vertex", "willow", "zephyr", "marble", "falcon", "juniper", "kepler", "delta", "breeze",
] as const;

const TOPICS = [
  "login page", "sync engine", "OAuth callback", "rate limiter", "search index", "Slack import",
  "email digest", "Box previews", "webhooks", "dark mode", "CSV export", "mobile layout",
] as const;

const LABELS: ReadonlyArray<{ name: string; color: string; description: string | null; default: boolean }> = [
  { name: "bug", color: "d73a4a", description: "Something isn't working", default: true },
  { name: "enhancement", color: "a2eeef", description: "New feature or request", default: true },
  { name: "documentation", color: "0075ca", description: "Improvements or additions to documentation", default: true },
  { name: "good first issue", color: "7057ff", description: "Good for newcomers", default: true },
  { name: "help wanted", color: "008672", description: "Extra attention is needed", default: true },
  { name: "question", color: "d876e3", description: "Further information is requested", default: true },
  { name: "priority: high", color: "b60205", description: null, default: false },
  { name: "🔥 hot", color: "ff7619", description: "Customers are asking", default: false },
];

const PEOPLE: ReadonlyArray<{ login: string; id: number; type: "User" | "Bot" }> = [
  { login: "ada-lovelace", id: 5_810_231, type: "User" },
  { login: "grace-hopper", id: 7_220_348, type: "User" },
  { login: "linus-dev", id: 9_104_557, type: "User" },
  { login: "margaret-h", id: 12_998_013, type: "User" },
  { login: "dependabot[bot]", id: 49_699_333, type: "Bot" },
];

// ---------------------------------------------------------------- small pure helpers

/** 32-bit integer hash (murmur3 finalizer); the only "randomness" in the sandbox. */
export function mix(n: number): number {
  let x = (n ^ 0x9e3779b9) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < s.length; k++) h = Math.imul(h ^ s.charCodeAt(k), 0x01000193) >>> 0;
  return mix(h);
}

/** GitHub timestamps: second precision, no milliseconds. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/** GitHub's legacy global node ids: base64("<len>:<Type><id>"). */
function nodeId(type: string, id: number): string {
  return btoa(`${String(type.length).padStart(2, "0")}:${type}${id}`);
}

export function userIdFor(login: string): number {
  return login === DEFAULT_LOGIN ? 1 : 1_000 + (hashString(login) % 9_000_000);
}

function simpleUser(login: string, id: number, type: "User" | "Bot" = "User"): SimpleUser {
  const api = `${API_ORIGIN}/users/${encodeURIComponent(login)}`;
  return {
    login,
    id,
    node_id: nodeId(type === "Bot" ? "Bot" : "User", id),
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: "",
    url: api,
    html_url: type === "Bot" ? `${WEB_ORIGIN}/apps/${login.replace("[bot]", "")}` : `${WEB_ORIGIN}/${login}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type,
    user_view_type: "public",
    site_admin: false,
  };
}

// ---------------------------------------------------------------- the authenticated user

export function sandboxUser(login: string = DEFAULT_LOGIN): GithubAuthenticatedUser {
  const id = userIdFor(login);
  return {
    ...simpleUser(login, id),
    user_view_type: "private",
    name: "Sandbox User",
    company: "2nd Brain",
    blog: "",
    location: "Localhost",
    email: null,
    notification_email: null,
    hireable: null,
    bio: "A stand-in account served by the 2nd Brain GitHub sandbox.",
    twitter_username: null,
    public_repos: MAX_REPOS,
    public_gists: 0,
    followers: 42,
    following: 7,
    created_at: USER_CREATED_AT,
    updated_at: USER_CREATED_AT,
    private_gists: 0,
    total_private_repos: 0,
    owned_private_repos: 0,
    disk_usage: 1024,
    collaborators: 0,
    two_factor_authentication: true,
    plan: { name: "free", space: 976_562_499, collaborators: 0, private_repos: 10_000 },
  };
}

// ---------------------------------------------------------------- item placement (O(1) / O(log 950))

export function repoCount(items: number): number {
  return Math.min(MAX_REPOS, Math.max(1, Math.ceil(items / ITEMS_PER_REPO_STEP)));
}

/** The repository index item i belongs to. */
export function repoOfItem(i: number): number {
  return i % Math.min(Math.floor(i / ITEMS_PER_REPO_STEP) + 1, MAX_REPOS);
}

let smallLists: number[][] | undefined;
/** For each repo, the (sorted) global indices below SMALL_LIMIT it owns: 950 numbers in all, built once. */
function small(j: number): number[] {
  if (!smallLists) {
    const lists: number[][] = Array.from({ length: MAX_REPOS }, () => []);
    for (let i = 0; i < SMALL_LIMIT; i++) lists[repoOfItem(i)]!.push(i);
    smallLists = lists;
  }
  return smallLists[j] ?? [];
}

/** First index >= SMALL_LIMIT owned by repo j (from there on, repo j owns every 20th index). */
function firstLarge(j: number): number {
  return SMALL_LIMIT + ((j - (SMALL_LIMIT % MAX_REPOS) + MAX_REPOS) % MAX_REPOS);
}

/** How many items of repo j have a global index < x. */
export function countBelow(j: number, x: number): number {
  const list = small(j);
  if (x <= SMALL_LIMIT) {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  const f = firstLarge(j);
  return list.length + (x > f ? Math.floor((x - 1 - f) / MAX_REPOS) + 1 : 0);
}

/** Global index of the item with rank r (0-based; its number is r + 1) in repo j. */
export function itemIndex(j: number, r: number): number {
  const list = small(j);
  if (r < list.length) return list[r]!;
  return firstLarge(j) + MAX_REPOS * (r - list.length);
}

export function isClosedRank(r: number): boolean {
  return (r + 1) % 3 === 0;
}

/** The `item_errors` fault: these items were transferred away (./live.ts isTransferred). */
export function isBrokenItemIndex(i: number): boolean {
  return i % 10 === 3;
}

export function updatedAtMs(i: number): number {
  return ITEMS_EPOCH_MS + i * ITEM_SPACING_MS;
}

function createdAtMs(i: number): number {
  // Strictly increasing in i (30 s steps plus < 30 s jitter) and always before updated_at.
  return CREATED_EPOCH_MS + i * 30_000 + (mix(i + 17) % 30) * 1000;
}

// ---------------------------------------------------------------- repositories

export function repoName(j: number): string {
  return `${REPO_WORDS[j % REPO_WORDS.length]}-${j + 1}`;
}

/** Repo index for a name, or -1 (case-insensitive like GitHub). */
export function repoIndexByName(items: number, name: string): number {
  const m = /^([a-z]+)-(\d+)$/.exec(name.toLowerCase());
  if (!m) return -1;
  const j = Number(m[2]) - 1;
  if (!Number.isInteger(j) || j < 0 || j >= repoCount(items) || REPO_WORDS[j] !== m[1]) return -1;
  return j;
}

export function repoId(j: number): number {
  return 812_000_000 + j * 7_919;
}

export function makeRepo(login: string, items: number, j: number): GithubRepo {
  const name = repoName(j);
  const fullName = `${login}/${name}`;
  const api = `${API_ORIGIN}/repos/${fullName}`;
  const html = `${WEB_ORIGIN}/${fullName}`;
  const id = repoId(j);
  const count = countBelow(j, items);
  const open = count - Math.floor(count / 3);
  const createdAt = isoSeconds(REPO_EPOCH_MS + j * 3 * 86_400_000 + (mix(j) % 86_400) * 1000);
  const lastActivity = count > 0 ? isoSeconds(updatedAtMs(itemIndex(j, count - 1))) : createdAt;
  const isPrivate = j % 3 === 2;
  const topic = TOPICS[j % TOPICS.length]!;
  return {
    id,
    node_id: nodeId("Repository", id),
    name,
    full_name: fullName,
    private: isPrivate,
    owner: simpleUser(login, userIdFor(login)),
    html_url: html,
    description: j % 4 === 3 ? null : `Sandbox project ${j + 1}: the ${topic} <and> friends ✨`,
    fork: false,
    url: api,
    forks_url: `${api}/forks`,
    keys_url: `${api}/keys{/key_id}`,
    collaborators_url: `${api}/collaborators{/collaborator}`,
    teams_url: `${api}/teams`,
    hooks_url: `${api}/hooks`,
    issue_events_url: `${api}/issues/events{/number}`,
    events_url: `${api}/events`,
    assignees_url: `${api}/assignees{/user}`,
    branches_url: `${api}/branches{/branch}`,
    tags_url: `${api}/tags`,
    blobs_url: `${api}/git/blobs{/sha}`,
    git_tags_url: `${api}/git/tags{/sha}`,
    git_refs_url: `${api}/git/refs{/sha}`,
    trees_url: `${api}/git/trees{/sha}`,
    statuses_url: `${api}/statuses/{sha}`,
    languages_url: `${api}/languages`,
    stargazers_url: `${api}/stargazers`,
    contributors_url: `${api}/contributors`,
    subscribers_url: `${api}/subscribers`,
    subscription_url: `${api}/subscription`,
    commits_url: `${api}/commits{/sha}`,
    git_commits_url: `${api}/git/commits{/sha}`,
    comments_url: `${api}/comments{/number}`,
    issue_comment_url: `${api}/issues/comments{/number}`,
    contents_url: `${api}/contents/{+path}`,
    compare_url: `${api}/compare/{base}...{head}`,
    merges_url: `${api}/merges`,
    archive_url: `${api}/{archive_format}{/ref}`,
    downloads_url: `${api}/downloads`,
    issues_url: `${api}/issues{/number}`,
    pulls_url: `${api}/pulls{/number}`,
    milestones_url: `${api}/milestones{/number}`,
    notifications_url: `${api}/notifications{?since,all,participating}`,
    labels_url: `${api}/labels{/name}`,
    releases_url: `${api}/releases{/id}`,
    deployments_url: `${api}/deployments`,
    created_at: createdAt,
    updated_at: lastActivity,
    pushed_at: lastActivity,
    git_url: `git://github.com/${fullName}.git`,
    ssh_url: `git@github.com:${fullName}.git`,
    clone_url: `${html}.git`,
    svn_url: html,
    homepage: null,
    size: 100 + (mix(j + 99) % 50_000),
    stargazers_count: mix(j + 5) % 400,
    watchers_count: mix(j + 5) % 400,
    language: (["TypeScript", "Go", "Python", "Rust", null] as const)[j % 5] ?? null,
    has_issues: true,
    has_projects: true,
    has_downloads: true,
    has_wiki: j % 2 === 0,
    has_pages: false,
    has_discussions: false,
    forks_count: mix(j + 11) % 40,
    mirror_url: null,
    archived: false,
    disabled: false,
    open_issues_count: open,
    license: null,
    allow_forking: true,
    is_template: false,
    web_commit_signoff_required: false,
    topics: ["sandbox", topic.toLowerCase().replace(/[^a-z0-9]+/g, "-")],
    visibility: isPrivate ? "private" : "public",
    forks: mix(j + 11) % 40,
    open_issues: open,
    watchers: mix(j + 5) % 400,
    default_branch: "main",
    permissions: { admin: true, maintain: true, push: true, triage: true, pull: true },
  };
}

export function listRepos(login: string, items: number): GithubRepo[] {
  return Array.from({ length: repoCount(items) }, (_, j) => makeRepo(login, items, j));
}

// ---------------------------------------------------------------- issues and pull requests

function labelObject(owner: string, repo: string, k: number): IssueLabel {
  const l = LABELS[k % LABELS.length]!;
  const id = 4_100_000_000 + (k % LABELS.length) * 131 + (mix(hashString(repo)) % 100) * 1000;
  return {
    id,
    node_id: nodeId("Label", id),
    url: `${API_ORIGIN}/repos/${owner}/${repo}/labels/${encodeURIComponent(l.name)}`,
    name: l.name,
    color: l.color,
    default: l.default,
    description: l.description,
  };
}

function titleFor(i: number, h: number, isPr: boolean, isBot: boolean): string {
  const topic = TOPICS[(h >>> 4) % TOPICS.length]!;
  if (isPr && isBot) {
    const minor = (h >>> 8) % 30;
    return `Bump ${topic.toLowerCase().replace(/ /g, "-")}-kit from 1.${minor}.0 to 1.${minor + 1}.0`;
  }
  switch ((h >>> 12) % 10) {
    case 0: return `Fix crash in ${topic} when the input is empty`;
    case 1: return `Support <b>bold</b> and <i>italic</i> text in ${topic}`;
    case 2: return `🚀 Speed up ${topic} (${2 + (h % 9)}× faster)`;
    case 3: return `Ünïcödé names break ${topic} — “smart quotes” too`;
    case 4: return `${topic}: handle 日本語, Ελληνικά and émojis 🎉`;
    case 5: return `Escape <script>alert("x")</script> & friends in ${topic}`;
    case 6: return `Refactor ${topic} for clarity (item ${i + 1})`;
    case 7: return `Docs: explain ${topic} configuration`;
    case 8: return `[Bug] ${topic} shows the wrong count (off by one)`;
    default: return `${isPr ? "Add" : "Request:"} ${topic} keyboard shortcuts ⌨️`;
  }
}

function bodyFor(i: number, h: number, topic: string): string | null {
  switch ((h >>> 20) % 8) {
    case 0: return null;
    case 1: return "";
    case 2:
      return `Steps to reproduce:\n\n1. Open the ${topic}\n2. Click **Sync**\n3. See the error\n\n\`\`\`\nTypeError: cannot read properties of undefined\n\`\`\`\n\n_Sandbox item ${i}_`;
    case 3:
      return `## Summary\n\nThe ${topic} should render \`<b>bold</b>\` literally, not as HTML.\n\n- [x] reproduced\n- [ ] fixed\n\n> quoted text with an emoji 🙂\n\nSandbox item ${i}.`;
    case 4:
      return `<details><summary>Logs</summary>\n\n\`\`\`json\n{"item": ${i}, "ok": false}\n\`\`\`\n</details>\n\nSee [the docs](https://docs.github.com/rest) — café, naïve, 東京.`;
    case 5:
      return `Short one: ${topic} is slow on large accounts (sandbox item ${i}).`;
    case 6:
      return `| field | value |\n|---|---|\n| item | ${i} |\n| topic | ${topic} |\n\nTab\tseparated & "quoted" <tags>.`;
    default:
      return `Follow-up to #${Math.max(1, (h >>> 3) % 50)}.\r\n\r\nWindows line endings on purpose. Sandbox item ${i}.`;
  }
}

/** The item of rank r (0-based) in repository j. */
export function makeIssue(login: string, j: number, r: number): GithubIssue {
  const i = itemIndex(j, r);
  const h = mix(i);
  const number = r + 1;
  const repo = repoName(j);
  const fullName = `${login}/${repo}`;
  const repoApi = `${API_ORIGIN}/repos/${fullName}`;
  const isPr = h % 4 === 0;
  const closed = isClosedRank(r);
  const ownerId = userIdFor(login);
  const authorPick = (h >>> 2) % 7;
  const person = authorPick < PEOPLE.length ? PEOPLE[authorPick]! : undefined;
  const isBot = person?.type === "Bot";
  // Bots only open pull requests; an issue "by" the bot is filed by the owner instead.
  const author =
    person && (!isBot || isPr) ? simpleUser(person.login, person.id, person.type) : simpleUser(login, ownerId);
  const updated = isoSeconds(updatedAtMs(i));
  const created = isoSeconds(createdAtMs(i));
  const labelCount = (h >>> 24) % 3;
  const firstLabel = (h >>> 5) % LABELS.length;
  const secondLabel = (firstLabel + 1 + ((h >>> 8) % (LABELS.length - 1))) % LABELS.length;
  const labels = [firstLabel, secondLabel].slice(0, labelCount).map((k) => labelObject(login, repo, k));
  const assignee = (h >>> 27) % 3 === 0 ? simpleUser(login, ownerId) : null;
  const id = 3_100_000_000 + i;
  const html = `${WEB_ORIGIN}/${fullName}/${isPr ? "pull" : "issues"}/${number}`;
  const topic = TOPICS[(h >>> 4) % TOPICS.length]!;
  const issue: GithubIssue = {
    url: `${repoApi}/issues/${number}`,
    repository_url: repoApi,
    labels_url: `${repoApi}/issues/${number}/labels{/name}`,
    comments_url: `${repoApi}/issues/${number}/comments`,
    events_url: `${repoApi}/issues/${number}/events`,
    html_url: html,
    id,
    node_id: nodeId(isPr ? "PullRequest" : "Issue", id),
    number,
    title: titleFor(i, h, isPr, isBot && isPr),
    user: author,
    labels,
    state: closed ? "closed" : "open",
    locked: false,
    assignee,
    assignees: assignee ? [assignee] : [],
    milestone: null,
    comments: (h >>> 9) % 9,
    created_at: created,
    updated_at: updated,
    closed_at: closed ? updated : null,
    author_association: author.login === login ? "OWNER" : isBot ? "CONTRIBUTOR" : "MEMBER",
    active_lock_reason: null,
    body: bodyFor(i, h, topic),
    timeline_url: `${repoApi}/issues/${number}/timeline`,
    performed_via_github_app: null,
    state_reason: closed ? ((h >>> 14) % 4 === 0 ? "not_planned" : "completed") : null,
  };
  if (isPr) {
    issue.draft = !closed && (h >>> 16) % 5 === 0;
    issue.state_reason = null;
    issue.pull_request = {
      url: `${repoApi}/pulls/${number}`,
      html_url: html,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      merged_at: closed && (h >>> 18) % 3 !== 0 ? updated : null,
    };
  }
  return issue;
}

export type IssueState = "open" | "closed" | "all";

export interface IssueQuery {
  state: IssueState;
  /** Only items with updated_at >= since (GitHub's `since` is inclusive). */
  sinceMs?: number;
  direction: "asc" | "desc";
  page: number;
  perPage: number;
}

export interface IssuePage {
  /** Number of items matching the filters (all pages). */
  total: number;
  data: GithubIssue[];
}

interface RankSelector {
  /** Number of selected ranks in [0, x). */
  count(x: number): number;
  /** The m-th (0-based) selected rank. */
  nth(m: number): number;
}

const SELECTORS: Record<IssueState, RankSelector> = {
  all: { count: (x) => x, nth: (m) => m },
  // ranks r with (r + 1) % 3 === 0, i.e. 2, 5, 8, ...
  closed: { count: (x) => Math.floor(x / 3), nth: (m) => 3 * m + 2 },
  // ranks 0, 1, 3, 4, 6, 7, ...
  open: { count: (x) => x - Math.floor(x / 3), nth: (m) => Math.floor(m / 2) * 3 + (m % 2) },
};

/** One page of `GET /repos/{owner}/{repo}/issues` for repository j. O(perPage). */
export function issuesPage(login: string, items: number, j: number, q: IssueQuery): IssuePage {
  const rHi = countBelow(j, items);
  const sinceIndex =
    q.sinceMs === undefined ? 0 : Math.max(0, Math.ceil((q.sinceMs - ITEMS_EPOCH_MS) / ITEM_SPACING_MS));
  const rLo = Math.min(countBelow(j, Math.min(sinceIndex, items)), rHi);
  const sel = SELECTORS[q.state];
  const base = sel.count(rLo);
  const total = sel.count(rHi) - base;
  const start = (q.page - 1) * q.perPage;
  const end = Math.min(start + q.perPage, total);
  const data: GithubIssue[] = [];
  for (let k = start; k < end; k++) {
    const pos = q.direction === "asc" ? k : total - 1 - k;
    const r = sel.nth(base + pos);
    data.push(makeIssue(login, j, r));
  }
  return { total, data };
}
