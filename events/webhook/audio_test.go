package webhook

import (
	"context"
	"encoding/binary"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/switchboard/switchboard/shared/account"
)

// wav builds a WAV file; extra chunks go before the data.
func wav(rate uint32, channels, bits uint16, samples []int16, extra ...byte) []byte {
	var b []byte
	le16 := func(v uint16) { b = binary.LittleEndian.AppendUint16(b, v) }
	le32 := func(v uint32) { b = binary.LittleEndian.AppendUint32(b, v) }
	b = append(b, "RIFF"...)
	le32(0)
	b = append(b, "WAVEfmt "...)
	le32(16)
	le16(1)
	le16(channels)
	le32(rate)
	le32(rate * uint32(channels) * uint32(bits) / 8)
	le16(channels * bits / 8)
	le16(bits)
	if len(extra) > 0 {
		b = append(b, "LIST"...)
		le32(uint32(len(extra)))
		b = append(b, extra...)
		if len(extra)%2 == 1 {
			b = append(b, 0)
		}
	}
	b = append(b, "data"...)
	le32(uint32(2 * len(samples)))
	for _, s := range samples {
		le16(uint16(s))
	}
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
	return b
}

func TestParseWAV(t *testing.T) {
	samples := []int16{0, 1000, -1000, 32767, -32768}
	got, err := ParseWAV(wav(8000, 1, 16, samples, 'a', 'b', 'c'))
	if err != nil || !slices.Equal(got, samples) {
		t.Fatalf("ParseWAV = %v, %v; want %v", got, err, samples)
	}
	for name, data := range map[string][]byte{
		"16 kHz":    wav(16000, 1, 16, samples),
		"stereo":    wav(8000, 2, 16, samples),
		"8-bit":     wav(8000, 1, 8, samples),
		"not RIFF":  []byte("ID3\x03 an mp3 file, not a wave"),
		"truncated": wav(8000, 1, 16, samples)[:30],
		"empty":     nil,
	} {
		if _, err := ParseWAV(data); !errors.Is(err, ErrAudio) {
			t.Errorf("%s: err %v, want ErrAudio", name, err)
		}
	}
}

// Audio fetches under the client's policy: a redirect is not followed,
// an error status is refused, and an http URL is refused when https is
// required.
func TestAudioFetch(t *testing.T) {
	samples := make([]int16, 800)
	for i := range samples {
		samples[i] = int16(i * 40)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/prompt.wav":
			w.Header().Set("Content-Type", "audio/wav")
			_, _ = w.Write(wav(8000, 1, 16, samples))
		case "/moved.wav":
			http.Redirect(w, r, "/prompt.wav", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	d := &Deliverer{client: NewClient(time.Second, account.URLPolicy{})}
	got, err := d.Audio(context.Background(), srv.URL+"/prompt.wav")
	if err != nil || !slices.Equal(got, samples) {
		t.Fatalf("Audio = %d samples, %v", len(got), err)
	}
	for _, path := range []string{"/moved.wav", "/missing.wav"} {
		if _, err := d.Audio(context.Background(), srv.URL+path); !errors.Is(err, ErrAudio) {
			t.Errorf("%s: err %v, want ErrAudio", path, err)
		}
	}
	strict := &Deliverer{client: NewClient(time.Second, account.URLPolicy{RequireHTTPS: true})}
	if _, err := strict.Audio(context.Background(), srv.URL+"/prompt.wav"); !errors.Is(err, ErrScheme) {
		t.Errorf("http under an https policy: err %v", err)
	}
}

// FuzzParseWAV: a prompt comes from an integration's server; no file may
// crash the fleet, and what parses is whole samples of the data chunk.
func FuzzParseWAV(f *testing.F) {
	f.Add(wav(8000, 1, 16, []int16{1, -1, 300}, 'x'))
	f.Add(wav(16000, 2, 16, []int16{1}))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEdata\xff\xff\xff\xff"))
	f.Add([]byte("RIFF\x24\x00\x00\x00WAVEfmt \xff\xff\xff\x7f"))
	f.Fuzz(func(t *testing.T, data []byte) {
		samples, err := ParseWAV(data)
		if err == nil && 2*len(samples) > len(data) {
			t.Fatalf("%d samples from %d octets", len(samples), len(data))
		}
	})
}
