export {
  fieldErrorSchema,
  problemDetailsSchema,
  PROBLEM_JSON_CONTENT_TYPE,
  type FieldError,
  type ProblemDetails,
} from './rest/problem-details.schema';
