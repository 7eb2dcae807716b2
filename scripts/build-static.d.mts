/** Copies Swagger UI's browser files into static/ (wrangler.toml's [assets] directory). */
export function buildStatic(): void;
