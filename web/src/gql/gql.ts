/* eslint-disable */
import * as types from './graphql';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query Viewer {\n    viewer {\n      id\n      role\n    }\n  }\n": typeof types.ViewerDocument,
    "\n  mutation CreatePulse($input: CreatePulseInput!) {\n    createPulse(input: $input) {\n      pulse {\n        id\n        title\n        createdAt\n      }\n      event {\n        id\n        cursor\n      }\n    }\n  }\n": typeof types.CreatePulseDocument,
    "\n  mutation RespondToPulse($input: RespondToPulseInput!) {\n    respondToPulse(input: $input) {\n      response {\n        id\n        answer\n        confidence\n        createdAt\n      }\n    }\n  }\n": typeof types.RespondToPulseDocument,
    "\n  mutation ClosePulse($input: ClosePulseInput!) {\n    closePulse(input: $input) {\n      pulse {\n        id\n        closedAt\n      }\n    }\n  }\n": typeof types.ClosePulseDocument,
    "\n  query Pulse($id: UUID!) {\n    pulse(id: $id) {\n      id\n      title\n      closedAt\n      responseCount\n      events(first: 1) {\n        edges {\n          cursor\n        }\n      }\n    }\n  }\n": typeof types.PulseDocument,
    "\n  subscription PulseEvents($pulseId: UUID!, $after: String) {\n    pulseEvents(pulseId: $pulseId, after: $after) {\n      id\n      cursor\n      version\n      type\n      occurredAt\n      payload {\n        __typename\n        ... on LearningPulseResponded {\n          studentId\n          responseId\n          response {\n            id\n            answer\n            confidence\n            createdAt\n          }\n        }\n      }\n    }\n  }\n": typeof types.PulseEventsDocument,
    "\n  subscription PulseDashboard($id: UUID!) {\n    pulseState(id: $id) {\n      id\n      title\n      closedAt\n      responseCount\n      confidenceCounts\n    }\n  }\n": typeof types.PulseDashboardDocument,
    "\n  subscription StudentPulse($id: UUID!) {\n    pulseState(id: $id) {\n      id\n      title\n      closedAt\n      responseCount\n      responses(first: 1) {\n        edges {\n          node {\n            id\n            answer\n            confidence\n            createdAt\n          }\n        }\n      }\n    }\n  }\n": typeof types.StudentPulseDocument,
};
const documents: Documents = {
    "\n  query Viewer {\n    viewer {\n      id\n      role\n    }\n  }\n": types.ViewerDocument,
    "\n  mutation CreatePulse($input: CreatePulseInput!) {\n    createPulse(input: $input) {\n      pulse {\n        id\n        title\n        createdAt\n      }\n      event {\n        id\n        cursor\n      }\n    }\n  }\n": types.CreatePulseDocument,
    "\n  mutation RespondToPulse($input: RespondToPulseInput!) {\n    respondToPulse(input: $input) {\n      response {\n        id\n        answer\n        confidence\n        createdAt\n      }\n    }\n  }\n": types.RespondToPulseDocument,
    "\n  mutation ClosePulse($input: ClosePulseInput!) {\n    closePulse(input: $input) {\n      pulse {\n        id\n        closedAt\n      }\n    }\n  }\n": types.ClosePulseDocument,
    "\n  query Pulse($id: UUID!) {\n    pulse(id: $id) {\n      id\n      title\n      closedAt\n      responseCount\n      events(first: 1) {\n        edges {\n          cursor\n        }\n      }\n    }\n  }\n": types.PulseDocument,
    "\n  subscription PulseEvents($pulseId: UUID!, $after: String) {\n    pulseEvents(pulseId: $pulseId, after: $after) {\n      id\n      cursor\n      version\n      type\n      occurredAt\n      payload {\n        __typename\n        ... on LearningPulseResponded {\n          studentId\n          responseId\n          response {\n            id\n            answer\n            confidence\n            createdAt\n          }\n        }\n      }\n    }\n  }\n": types.PulseEventsDocument,
    "\n  subscription PulseDashboard($id: UUID!) {\n    pulseState(id: $id) {\n      id\n      title\n      closedAt\n      responseCount\n      confidenceCounts\n    }\n  }\n": types.PulseDashboardDocument,
    "\n  subscription StudentPulse($id: UUID!) {\n    pulseState(id: $id) {\n      id\n      title\n      closedAt\n      responseCount\n      responses(first: 1) {\n        edges {\n          node {\n            id\n            answer\n            confidence\n            createdAt\n          }\n        }\n      }\n    }\n  }\n": types.StudentPulseDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Viewer {\n    viewer {\n      id\n      role\n    }\n  }\n"): typeof import('./graphql').ViewerDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreatePulse($input: CreatePulseInput!) {\n    createPulse(input: $input) {\n      pulse {\n        id\n        title\n        createdAt\n      }\n      event {\n        id\n        cursor\n      }\n    }\n  }\n"): typeof import('./graphql').CreatePulseDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RespondToPulse($input: RespondToPulseInput!) {\n    respondToPulse(input: $input) {\n      response {\n        id\n        answer\n        confidence\n        createdAt\n      }\n    }\n  }\n"): typeof import('./graphql').RespondToPulseDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ClosePulse($input: ClosePulseInput!) {\n    closePulse(input: $input) {\n      pulse {\n        id\n        closedAt\n      }\n    }\n  }\n"): typeof import('./graphql').ClosePulseDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Pulse($id: UUID!) {\n    pulse(id: $id) {\n      id\n      title\n      closedAt\n      responseCount\n      events(first: 1) {\n        edges {\n          cursor\n        }\n      }\n    }\n  }\n"): typeof import('./graphql').PulseDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription PulseEvents($pulseId: UUID!, $after: String) {\n    pulseEvents(pulseId: $pulseId, after: $after) {\n      id\n      cursor\n      version\n      type\n      occurredAt\n      payload {\n        __typename\n        ... on LearningPulseResponded {\n          studentId\n          responseId\n          response {\n            id\n            answer\n            confidence\n            createdAt\n          }\n        }\n      }\n    }\n  }\n"): typeof import('./graphql').PulseEventsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription PulseDashboard($id: UUID!) {\n    pulseState(id: $id) {\n      id\n      title\n      closedAt\n      responseCount\n      confidenceCounts\n    }\n  }\n"): typeof import('./graphql').PulseDashboardDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription StudentPulse($id: UUID!) {\n    pulseState(id: $id) {\n      id\n      title\n      closedAt\n      responseCount\n      responses(first: 1) {\n        edges {\n          node {\n            id\n            answer\n            confidence\n            createdAt\n          }\n        }\n      }\n    }\n  }\n"): typeof import('./graphql').StudentPulseDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
