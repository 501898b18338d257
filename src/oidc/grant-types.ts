// Grant and token type names shared by the client metadata and the grants
// themselves, in a module of their own so that neither imports the other.
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
