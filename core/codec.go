package sessions

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// Codec encodes and decodes session values. The default is JSONCodec, so
// that services written in other languages can read the stored sessions.
type Codec interface {
	Marshal(v any) ([]byte, error)
	Unmarshal(data []byte, v any) error
}

// JSONCodec is the default Codec, backed by encoding/json. It decodes
// strictly: a stored object with a field the target struct lacks (a field
// renamed or removed since the value was stored) is an error, so that Get
// returns ErrDecode rather than a value with silently zero fields. Fields
// the target has but the stored value lacks stay zero, as usual in JSON.
type JSONCodec struct {
	// AllowUnknownFields decodes as json.Unmarshal does, ignoring stored
	// fields the target lacks: for apps that remove fields from their
	// session structs and want old sessions to keep decoding.
	AllowUnknownFields bool
}

// Marshal encodes v as JSON.
func (JSONCodec) Marshal(v any) ([]byte, error) { return json.Marshal(v) }

// Unmarshal decodes JSON data into v.
func (c JSONCodec) Unmarshal(data []byte, v any) error {
	switch v.(type) {
	case *string, *int, *int64, *bool, *float64, *[]string, *map[string]any, *any:
		// No struct inside: nothing unknown to refuse.
		return json.Unmarshal(data, v)
	}
	if c.AllowUnknownFields {
		return json.Unmarshal(data, v)
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if _, err := d.Token(); err != io.EOF {
		return errors.New("json: data after the value")
	}
	return nil
}
