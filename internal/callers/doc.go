// Package callers finds what calls a function besides the alias being
// promoted: a canary on the alias is only as safe as the traffic that goes
// through it, and anything that invokes $LATEST or a version runs code that
// no gate of the promotion sees.
//
// ReadMappings and ReadFunction make the reads (event source mappings,
// function URLs, the resource policy), each through the narrow interfaces
// of the Lambda calls they make; Judge is a pure judgement of what they
// found, with the routes of the checked API stage that internal/stage has
// already matched: each path, what it invokes, whether the promotion covers
// it, and the commands that point it at the alias.
//
// Not found here: what S3 buckets, SNS topics, EventBridge rules and other
// services are configured to invoke is kept in those services, which are not
// read. They are seen only through the function's resource policy, which
// says which of them may invoke which qualifier.
package callers
