import type { OpenApiDocument } from '../../src/http/openapi/openapi-document';

/**
 * Servers started by listen(): their base URLs and the OpenAPI document of the app each serves,
 * for the contract hook's fetch check. A module of its own, without side effects, because the
 * benchmark uses listen() outside jest.
 */
export const servedDocuments = new Map<string, OpenApiDocument>();
