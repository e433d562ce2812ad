export interface HubServer {
  readonly url: string;
  readonly requests: { method: string; url: string; range?: string }[];
  commitOf(repo: string): string;
  close(): Promise<void>;
}
export function startHubServer(options: {
  repos: Record<string, string>;
  token?: string;
  cutOnce?: { path: string; afterBytes: number };
}): Promise<HubServer>;
