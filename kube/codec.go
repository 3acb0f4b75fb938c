package kube

import (
	"bytes"
	"net/http"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	kjson "sigs.k8s.io/json"
)

// decodeBody decodes a request body the gateway must understand (delete
// options, access reviews) in the two encodings clients send: JSON and
// Kubernetes protobuf, which client-go's typed clients use for built-in
// types. JSON is decoded case-sensitively, as the API server does, and
// strictly: a duplicate or unknown field makes the body "not understood",
// so that a body cannot mean one thing here and another upstream. Any
// other encoding (YAML, CBOR) is not understood; callers then assume the
// conservative answer.
func decodeBody(req *http.Request, body []byte, into runtime.Object) bool {
	switch mediaType(req) {
	case "", contentJSON:
		strict, err := kjson.UnmarshalStrict(body, into, kjson.DisallowDuplicateFields)
		return err == nil && len(strict) == 0
	case runtime.ContentTypeProtobuf:
		info, ok := runtime.SerializerInfoForMediaType(scheme.Codecs.SupportedMediaTypes(), runtime.ContentTypeProtobuf)
		if !ok {
			return false
		}
		out, _, err := info.Serializer.Decode(body, nil, into)
		return err == nil && out == into
	}
	return false
}

// encodeFor encodes obj in the format the request's Accept header prefers
// among protobuf and JSON (JSON when it says nothing), for the responses
// the gateway writes itself.
func encodeFor(req *http.Request, obj runtime.Object, gv schema.GroupVersion) ([]byte, string, error) {
	mt := runtime.ContentTypeJSON
	if accept := req.Header.Get("Accept"); strings.HasPrefix(accept, runtime.ContentTypeProtobuf) {
		mt = runtime.ContentTypeProtobuf
	}
	info, _ := runtime.SerializerInfoForMediaType(scheme.Codecs.SupportedMediaTypes(), mt)
	enc := scheme.Codecs.EncoderForVersion(info.Serializer, gv)
	var buf bytes.Buffer
	if err := enc.Encode(obj, &buf); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), mt, nil
}
