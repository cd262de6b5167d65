package webhook

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Prompts of steering responses: <Play><Url> names a WAV file that the
// fleet fetches and plays to the caller. It is fetched like a webhook is
// posted (the same client and URL policy: no redirects, https and public
// addresses only on AWS) and must be 8 kHz mono 16-bit linear PCM.

// Limits of a prompt.
const (
	MaxAudioSeconds = 300
	maxAudioBytes   = 44 + MaxAudioSeconds*8000*2 + 4096 // header room for extra chunks
	audioTimeout    = 10 * time.Second
)

// ErrAudio wraps every reason a prompt is refused.
var ErrAudio = errors.New("webhook: unusable audio")

// Audio fetches the WAV file at rawURL and returns its samples.
func (d *Deliverer) Audio(ctx context.Context, rawURL string) ([]int16, error) {
	data, err := d.client.Get(ctx, rawURL, maxAudioBytes, audioTimeout)
	if err != nil {
		return nil, err
	}
	return ParseWAV(data)
}

// Get fetches a URL under the client's policy, reading at most limit
// octets, within timeout.
func (c *Client) Get(ctx context.Context, rawURL string, limit int64, timeout time.Duration) ([]byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("webhook: not an http(s) URL")
	}
	if c.policy.RequireHTTPS && u.Scheme != "https" {
		return nil, ErrScheme
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	hr.Header.Set("User-Agent", "Switchboard-Webhooks/1")
	resp, err := c.hc.Do(hr)
	if err != nil {
		return nil, cleanErr(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: answered %d", ErrAudio, resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, cleanErr(ctx, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: longer than %d seconds", ErrAudio, MaxAudioSeconds)
	}
	return data, nil
}

// ParseWAV reads a RIFF WAVE file of 8 kHz mono 16-bit linear PCM and
// returns its samples. Other formats are refused: the fleet does not
// resample.
func ParseWAV(data []byte) ([]int16, error) {
	if len(data) < 12 || string(data[0:4]) != "RIFF" || string(data[8:12]) != "WAVE" {
		return nil, fmt.Errorf("%w: not a WAV file", ErrAudio)
	}
	var fmtOK bool
	for p := 12; p+8 <= len(data); {
		id, size := string(data[p:p+4]), int(binary.LittleEndian.Uint32(data[p+4:p+8]))
		p += 8
		if size < 0 || size > len(data)-p {
			if id != "data" {
				return nil, fmt.Errorf("%w: truncated %q chunk", ErrAudio, id)
			}
			size = len(data) - p // a streamed file's data size may be unset
		}
		body := data[p : p+size]
		switch id {
		case "fmt ":
			if len(body) < 16 {
				return nil, fmt.Errorf("%w: short format chunk", ErrAudio)
			}
			format, channels := binary.LittleEndian.Uint16(body[0:2]), binary.LittleEndian.Uint16(body[2:4])
			rate, bits := binary.LittleEndian.Uint32(body[4:8]), binary.LittleEndian.Uint16(body[14:16])
			if format != 1 || channels != 1 || rate != 8000 || bits != 16 {
				return nil, fmt.Errorf("%w: format %d, %d channels, %d Hz, %d bits; want PCM, 1 channel, 8000 Hz, 16 bits",
					ErrAudio, format, channels, rate, bits)
			}
			fmtOK = true
		case "data":
			if !fmtOK {
				return nil, fmt.Errorf("%w: data before the format chunk", ErrAudio)
			}
			out := make([]int16, size/2)
			for i := range out {
				out[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
			}
			return out, nil
		}
		p += size + size&1 // chunks are padded to even sizes
	}
	return nil, fmt.Errorf("%w: no data chunk", ErrAudio)
}
