package auth

import (
	"encoding/base64"
	"fmt"
	"os"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
)

// SignWithCreds reads a credentials file (a user JWT and its seed between
// "-----" lines) and signs nonce with the seed. It returns the JWT and the
// signature (base64 URL encoding without padding), as a CONNECT carries
// them. The file is read on every call, so a rotated file is used from the
// next connection on.
func SignWithCreds(path, nonce string) (userJWT, sig string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", fmt.Errorf("read credentials file: %w", err)
	}
	userJWT, err = jwt.ParseDecoratedJWT(b)
	if err != nil {
		return "", "", fmt.Errorf("credentials file %s: no user JWT: %w", path, err)
	}
	kp, err := jwt.ParseDecoratedUserNKey(b)
	if err != nil {
		return "", "", fmt.Errorf("credentials file %s: no user seed: %w", path, err)
	}
	defer kp.Wipe()
	sig, err = signNonce(kp, nonce)
	return userJWT, sig, err
}

// SignWithSeed signs nonce with a user seed (SU...); it returns the public
// key and the signature for CONNECT nkey and sig.
func SignWithSeed(seed, nonce string) (pub, sig string, err error) {
	kp, err := nkeys.FromSeed([]byte(seed))
	if err != nil {
		return "", "", fmt.Errorf("nkey seed: %w", err)
	}
	defer kp.Wipe()
	if pub, err = kp.PublicKey(); err != nil {
		return "", "", err
	}
	sig, err = signNonce(kp, nonce)
	return pub, sig, err
}

func signNonce(kp nkeys.KeyPair, nonce string) (string, error) {
	raw, err := kp.Sign([]byte(nonce))
	if err != nil {
		return "", fmt.Errorf("sign the nonce: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(raw), nil
}
