/** The operations that move a version through its lifecycle (POST …/versions/:versionId/<action>). */
export type VersionAction = 'publish' | 'deprecate' | 'yank';
