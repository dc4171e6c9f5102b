// Every provider's manifest, by type: the one list a new provider joins (its folder holds the
// rest). The registry, the OAuth layer and the settings (lib/env.ts) are built from it. No
// import of settings, connectors or the database here, so lib/env.ts can read it.
import type { ConnectorType } from "@/lib/contract";
import type { ProviderManifest } from "@/lib/connectors/manifest";
import { githubManifest } from "@/lib/connectors/github/manifest";
import { gmailManifest } from "@/lib/connectors/gmail/manifest";
import { slackManifest } from "@/lib/connectors/slack/manifest";
import { boxManifest } from "@/lib/connectors/box/manifest";

export const MANIFESTS = {
  github: githubManifest,
  gmail: gmailManifest,
  slack: slackManifest,
  box: boxManifest,
} as const satisfies { readonly [K in ConnectorType]: ProviderManifest<K> };

export type Manifests = typeof MANIFESTS;
/** GITHUB, GOOGLE, SLACK, BOX: the settings' prefixes. */
export type OAuthEnvPrefix = Manifests[ConnectorType]["oauth"]["envPrefix"];
