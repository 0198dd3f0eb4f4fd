/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type ClosePulseInput = {
  /** Same as CreatePulseInput.idempotencyKey. */
  idempotencyKey?: string | null | undefined;
  pulseId: string;
};

export type CreatePulseInput = {
  /** At most 4000 characters. */
  description?: string | null | undefined;
  dueDate?: string | null | undefined;
  /**
   * Retrying with the same key (per caller, 1 to 200 characters) returns the
   * first result and writes nothing new. Reusing a key for a different request
   * is BAD_USER_INPUT with extensions.field "idempotencyKey".
   */
  idempotencyKey?: string | null | undefined;
  /** 1 to 200 characters after trimming. */
  title: string;
};

export type EventType =
  | 'ACTOR_ERASED'
  | 'BADGE_AWARDED'
  | 'LEARNING_PULSE_CLOSED'
  | 'LEARNING_PULSE_CREATED'
  | 'LEARNING_PULSE_RESPONDED'
  | 'LESSON_PUBLISHED'
  | 'PAYMENT_PROCESSED'
  | 'QUIZ_SUBMITTED';

export type RespondToPulseInput = {
  /** 1 to 2000 characters after trimming. */
  answer: string;
  /** 1 to 5. */
  confidence?: number | null | undefined;
  /** Same as CreatePulseInput.idempotencyKey. */
  idempotencyKey?: string | null | undefined;
  pulseId: string;
};

export type Role =
  | 'ADMIN'
  | 'STUDENT'
  | 'TEACHER';

export type ViewerQueryVariables = Exact<{ [key: string]: never; }>;


export type ViewerQuery = { viewer: { id: string, role: Role } };

export type CreatePulseMutationVariables = Exact<{
  input: CreatePulseInput;
}>;


export type CreatePulseMutation = { createPulse: { pulse: { id: string, title: string, createdAt: string }, event: { id: string, cursor: string } } };

export type RespondToPulseMutationVariables = Exact<{
  input: RespondToPulseInput;
}>;


export type RespondToPulseMutation = { respondToPulse: { response: { id: string, answer: string, confidence: number | null, createdAt: string } } };

export type ClosePulseMutationVariables = Exact<{
  input: ClosePulseInput;
}>;


export type ClosePulseMutation = { closePulse: { pulse: { id: string, closedAt: string | null } } };

export type PulseQueryVariables = Exact<{
  id: string;
}>;


export type PulseQuery = { pulse: { id: string, title: string, closedAt: string | null, responseCount: number, events: { edges: Array<{ cursor: string }> } } | null };

export type PulseEventsSubscriptionVariables = Exact<{
  pulseId: string;
  after?: string | null | undefined;
}>;


export type PulseEventsSubscription = { pulseEvents: { id: string, cursor: string, version: number, type: EventType, occurredAt: string, payload:
      | { __typename: 'ActorErased' }
      | { __typename: 'BadgeAwarded' }
      | { __typename: 'LearningPulseClosed' }
      | { __typename: 'LearningPulseCreated' }
      | { __typename: 'LearningPulseResponded', studentId: string, responseId: string, response: { id: string, answer: string, confidence: number | null, createdAt: string } | null }
      | { __typename: 'LessonPublished' }
      | { __typename: 'PaymentProcessed' }
      | { __typename: 'QuizSubmitted' }
     } };

export type PulseDashboardSubscriptionVariables = Exact<{
  id: string;
}>;


export type PulseDashboardSubscription = { pulseState: { id: string, title: string, closedAt: string | null, responseCount: number, confidenceCounts: Array<number> } };

export type StudentPulseSubscriptionVariables = Exact<{
  id: string;
}>;


export type StudentPulseSubscription = { pulseState: { id: string, title: string, closedAt: string | null, responseCount: number, responses: { edges: Array<{ node: { id: string, answer: string, confidence: number | null, createdAt: string } }> } } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}

export const ViewerDocument = new TypedDocumentString(`
    query Viewer {
  viewer {
    id
    role
  }
}
    `, {"hash":"sha256:68d5b36c8ef583822a01fd59df3837c6b8f3a7b4afb8769d5a7b21844af2323e"}) as unknown as TypedDocumentString<ViewerQuery, ViewerQueryVariables>;
export const CreatePulseDocument = new TypedDocumentString(`
    mutation CreatePulse($input: CreatePulseInput!) {
  createPulse(input: $input) {
    pulse {
      id
      title
      createdAt
    }
    event {
      id
      cursor
    }
  }
}
    `, {"hash":"sha256:1298fcaf67ba1f230994149601ee2814ec56eb684fd3f3eadcdc66fadb2ff3c6"}) as unknown as TypedDocumentString<CreatePulseMutation, CreatePulseMutationVariables>;
export const RespondToPulseDocument = new TypedDocumentString(`
    mutation RespondToPulse($input: RespondToPulseInput!) {
  respondToPulse(input: $input) {
    response {
      id
      answer
      confidence
      createdAt
    }
  }
}
    `, {"hash":"sha256:e0f5a9d5743fed60b74210f8765a00a14c910a7b332d389620f7b89fa89528b9"}) as unknown as TypedDocumentString<RespondToPulseMutation, RespondToPulseMutationVariables>;
export const ClosePulseDocument = new TypedDocumentString(`
    mutation ClosePulse($input: ClosePulseInput!) {
  closePulse(input: $input) {
    pulse {
      id
      closedAt
    }
  }
}
    `, {"hash":"sha256:1d9164799befc386ffde90e2e5dfed0043e7d5b668f7874df0f24bfcf802fd77"}) as unknown as TypedDocumentString<ClosePulseMutation, ClosePulseMutationVariables>;
export const PulseDocument = new TypedDocumentString(`
    query Pulse($id: UUID!) {
  pulse(id: $id) {
    id
    title
    closedAt
    responseCount
    events(first: 1) {
      edges {
        cursor
      }
    }
  }
}
    `, {"hash":"sha256:ceb3fbc5c09d905fad6bde12a43d113b21d5b8b39cf5d12dbe750e673854bed5"}) as unknown as TypedDocumentString<PulseQuery, PulseQueryVariables>;
export const PulseEventsDocument = new TypedDocumentString(`
    subscription PulseEvents($pulseId: UUID!, $after: String) {
  pulseEvents(pulseId: $pulseId, after: $after) {
    id
    cursor
    version
    type
    occurredAt
    payload {
      __typename
      ... on LearningPulseResponded {
        studentId
        responseId
        response {
          id
          answer
          confidence
          createdAt
        }
      }
    }
  }
}
    `, {"hash":"sha256:3b0db3b07fa79a7366b9c381ebeb6c3e7dad7c3366f27823719e658e67495217"}) as unknown as TypedDocumentString<PulseEventsSubscription, PulseEventsSubscriptionVariables>;
export const PulseDashboardDocument = new TypedDocumentString(`
    subscription PulseDashboard($id: UUID!) {
  pulseState(id: $id) {
    id
    title
    closedAt
    responseCount
    confidenceCounts
  }
}
    `, {"hash":"sha256:59928a58e5784b0d4c1ec0a0be727f64cf0239ddf0534c684d5cc58a5869a7bc"}) as unknown as TypedDocumentString<PulseDashboardSubscription, PulseDashboardSubscriptionVariables>;
export const StudentPulseDocument = new TypedDocumentString(`
    subscription StudentPulse($id: UUID!) {
  pulseState(id: $id) {
    id
    title
    closedAt
    responseCount
    responses(first: 1) {
      edges {
        node {
          id
          answer
          confidence
          createdAt
        }
      }
    }
  }
}
    `, {"hash":"sha256:f8d3bd6a9b3b2f7116ffc97bf4948652f30fc146497beac03ec3fe28851e5b96"}) as unknown as TypedDocumentString<StudentPulseSubscription, StudentPulseSubscriptionVariables>;