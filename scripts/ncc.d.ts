declare module '@vercel/ncc' {
  interface NccOptions {
    cache?: string | false;
    externals?: string[];
    minify?: boolean;
    sourceMap?: boolean;
    license?: string;
    quiet?: boolean;
    target?: string;
  }
  interface NccAsset {
    source: Buffer | string;
    permissions?: number;
  }
  export default function ncc(
    entry: string,
    options?: NccOptions,
  ): Promise<{ code: string; map?: string; assets?: Record<string, NccAsset> }>;
}
