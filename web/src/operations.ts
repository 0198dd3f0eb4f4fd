// Every GraphQL operation the page sends. `npm run codegen` reads the
// graphql() calls below and generates their result and variable types into
// src/gql/ from ../schema.graphqls, so a field that the schema renames or
// removes fails `tsc`, not the classroom.
import { graphql } from './gql';

export const ViewerQuery = graphql(`
  query Viewer {
    viewer {
      id
      role
    }
  }
`);

export const CreatePulseMutation = graphql(`
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
`);

export const RespondToPulseMutation = graphql(`
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
`);

export const ClosePulseMutation = graphql(`
  mutation ClosePulse($input: ClosePulseInput!) {
    closePulse(input: $input) {
      pulse {
        id
        closedAt
      }
    }
  }
`);

// A pulse by id, with the cursor of its first event (its creation): the
// teacher view resumes from there to replay every answer given so far.
export const PulseQuery = graphql(`
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
`);

export const PulseEventsSubscription = graphql(`
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
`);

// The teacher's dashboard: the pulse as it stands, pushed after each change
// (conflated: always the latest state, never an older one). The counts
// cover every response, whoever watches.
export const PulseDashboardSubscription = graphql(`
  subscription PulseDashboard($id: UUID!) {
    pulseState(id: $id) {
      id
      title
      closedAt
      responseCount
      confidenceCounts
    }
  }
`);

// The student's page: whether the pulse is still open, and the student's
// own answer (a student sees only their own responses).
export const StudentPulseSubscription = graphql(`
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
`);
