package bus_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
	"github.com/stretchr/testify/require"

	"github.com/edupulse/edupulse-live/internal/bus"
)

// The embedded server is reached in-process only: nothing listens for
// another process to publish into the stream the hub trusts.
func TestEmbeddedListensOnNoPort(t *testing.T) {
	t.Parallel()
	srv, b := setup(t)
	require.Zero(t, srv.Port())
	require.Empty(t, srv.ClientURL())
	require.NoError(t, b.Ping(ctx(t)))
	_, err := b.PublishBatch(ctx(t), messages(3, 1), 0)
	require.NoError(t, err)
	require.Error(t, func() error {
		_, err := bus.Connect(ctx(t), "", "x", bus.InProcess(srv), bus.WithAuth(bus.Auth{Token: "t"}))
		return err
	}(), "credentials are for an external server")
}

// startAuthServer starts a plain NATS server requiring opts' credentials.
func startAuthServer(t *testing.T, opts *server.Options) string {
	t.Helper()
	opts.Host, opts.Port, opts.NoLog, opts.NoSigs = "127.0.0.1", server.RANDOM_PORT, true, true
	opts.JetStream, opts.StoreDir = true, t.TempDir()
	s, err := server.NewServer(opts)
	require.NoError(t, err)
	s.Start()
	require.True(t, s.ReadyForConnections(10*time.Second))
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return s.ClientURL()
}

func TestExternalServerCredentials(t *testing.T) {
	t.Parallel()
	connectWith := func(t *testing.T, url string, a bus.Auth) *bus.Bus {
		t.Helper()
		b, err := bus.Connect(ctx(t), url, t.Name(), bus.WithAuth(a),
			bus.WithReconnectWait(20*time.Millisecond, 10*time.Millisecond))
		require.NoError(t, err)
		t.Cleanup(b.Close)
		return b
	}

	t.Run("token", func(t *testing.T) {
		t.Parallel()
		url := startAuthServer(t, &server.Options{Authorization: "s3cr3t"})
		require.NoError(t, connectWith(t, url, bus.Auth{Token: "s3cr3t"}).EnsureStream(ctx(t), 1))
		require.False(t, connectWith(t, url, bus.Auth{Token: "wrong"}).Connected())
		require.False(t, connectWith(t, url, bus.Auth{}).Connected())
	})

	t.Run("nkey seed file", func(t *testing.T) {
		t.Parallel()
		kp, err := nkeys.CreateUser()
		require.NoError(t, err)
		pub, err := kp.PublicKey()
		require.NoError(t, err)
		seed, err := kp.Seed()
		require.NoError(t, err)
		file := filepath.Join(t.TempDir(), "user.nk")
		require.NoError(t, os.WriteFile(file, seed, 0o600))
		url := startAuthServer(t, &server.Options{Nkeys: []*server.NkeyUser{{Nkey: pub}}})
		require.NoError(t, connectWith(t, url, bus.Auth{NkeySeedFile: file}).EnsureStream(ctx(t), 1))
		require.False(t, connectWith(t, url, bus.Auth{}).Connected())
	})

	t.Run("user and password in the URL", func(t *testing.T) {
		t.Parallel()
		url := startAuthServer(t, &server.Options{Username: "edu", Password: "pw"})
		authed := "nats://edu:pw@" + url[len("nats://"):]
		require.NoError(t, connectWith(t, authed, bus.Auth{}).EnsureStream(ctx(t), 1))
	})

	t.Run("one way at a time", func(t *testing.T) {
		t.Parallel()
		_, err := bus.Connect(ctx(t), "nats://127.0.0.1:1", t.Name(), bus.WithAuth(bus.Auth{Token: "a", CredsFile: "b"}))
		require.Error(t, err)
	})
}
