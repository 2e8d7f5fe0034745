// The desk's calls, typed with what openapi-typescript generates from /openapi.json (schema.d.ts is
// written beside this file by tests/contract/test_generated_clients.py). `tsc --noEmit` must accept it:
// a renamed operation, a dropped schema or a body that lost a field breaks the build, as it would the app's.
import type { components, operations, paths } from "./schema";

type JsonBody<Operation> = Operation extends {
  requestBody: { content: { "application/json": infer Body } };
}
  ? Body
  : never;
type Answer<Operation, Status extends number> = Operation extends {
  responses: { [S in Status]: { content: { "application/json": infer Body } } };
}
  ? Body
  : never;

type SignIn = operations["auth_token"]["requestBody"]["content"]["application/x-www-form-urlencoded"];
const signIn: SignIn = { username: "social_worker", password: "demo-social_worker", grant_type: "password" };

const raise: JsonBody<operations["tickets_create"]> = {
  station_id: "75629278-5215-53de-a3e2-0728ff41f0a6",
  channel: "walk_in",
  service_item: "government_affairs.certificates",
  description: "开具居住证明",
};
const accept: JsonBody<operations["tickets_transition"]> = { action: "accept" };
const designate: JsonBody<operations["tickets_designate"]> = { designee_id: null };
const rate: JsonBody<operations["ratings_submit"]> = { token: "t", attitude: 5, ability: 4, channel: "resident_app" };

type Ticket = Answer<operations["tickets_get"], 200>;
const status: Ticket["status"] = "new";
const page: components["schemas"]["TicketReadPage"] = { items: [], next_cursor: null };
const channel: components["schemas"]["TicketChannel"] = "phone";
const ratingChannel: components["schemas"]["RatingChannel"] = "qr";
const transitions: keyof paths = "/api/v1/tickets/{ticket_id}/transitions";
type OpenRequests = NonNullable<operations["open311_get_requests"]["parameters"]["query"]>;
const query: OpenRequests = { status: "open", page_size: 100, service_code: "legal.mediation" };
type CsvImport = operations["stations_import"]["requestBody"];

export const desk = { signIn, raise, accept, designate, rate, status, page, channel, ratingChannel, transitions, query };
export type { CsvImport };
