/**
 * The registry's catalog rows as its clients read them (`GET /components`, `GET /components/:id/versions`;
 * docs/api-contract.md): the fields the CLI and the dashboard show. The registry's own response classes
 * carry more.
 */
export interface ComponentSummary {
  id: string;
  name: string;
  kind: string;
  description?: string | null;
}

export interface VersionSummary {
  id: string;
  componentId: string;
  version: string;
  channel: string;
  status: string;
  breaking: boolean;
  mandatory: boolean;
  signed: boolean;
  publishedAt: string | null;
}
