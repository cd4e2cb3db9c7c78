// An independent check of Satchel's checkpoints: Go's reference implementation of
// C2SP signed notes (golang.org/x/mod/sumdb/note) verifies them, and the C2SP
// tlog-cosignature lines are checked here with Go's own Ed25519 and SHA-256.
//
//	notecheck verify NOTE_FILE VERIFIER_KEY [WITNESS_NAME WITNESS_KEY_HEX]
//	notecheck sign NAME SEED_HEX TEXT_FILE   (prints the verifier key, then the note)
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

func fail(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", a...)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 2 {
		fail("usage: notecheck verify|sign ...")
	}
	switch os.Args[1] {
	case "verify":
		verify(os.Args[2:])
	case "sign":
		sign(os.Args[2:])
	default:
		fail("unknown mode %q", os.Args[1])
	}
}

func verify(args []string) {
	if len(args) != 2 && len(args) != 4 {
		fail("verify NOTE_FILE VERIFIER_KEY [WITNESS_NAME WITNESS_KEY_HEX]")
	}
	msg, err := os.ReadFile(args[0])
	if err != nil {
		fail("%v", err)
	}
	v, err := note.NewVerifier(args[1])
	if err != nil {
		fail("verifier key: %v", err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		fail("note: %v", err)
	}
	for _, s := range n.Sigs {
		fmt.Printf("signed %s %08x\n", s.Name, s.Hash)
	}
	fmt.Printf("unverified %d\n", len(n.UnverifiedSigs))
	if len(args) == 2 {
		return
	}
	name := args[2]
	key, err := hex.DecodeString(args[3])
	if err != nil || len(key) != ed25519.PublicKeySize {
		fail("witness key")
	}
	// tlog-cosignature: key id SHA-256(name "\n" 0x04 key)[:4]; line bytes
	// timestamp (u64 BE) then Ed25519 of "cosignature/v1\ntime T\n" + text.
	h := sha256.New()
	h.Write([]byte(name + "\n"))
	h.Write([]byte{0x04})
	h.Write(key)
	id := binary.BigEndian.Uint32(h.Sum(nil)[:4])
	found := false
	for _, s := range n.UnverifiedSigs {
		if s.Name != name || s.Hash != id {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(s.Base64)
		if err != nil || len(raw) != 4+8+ed25519.SignatureSize {
			fail("cosignature length")
		}
		t := binary.BigEndian.Uint64(raw[4:12])
		var m bytes.Buffer
		m.WriteString("cosignature/v1\ntime " + strconv.FormatUint(t, 10) + "\n")
		m.WriteString(n.Text)
		if !ed25519.Verify(ed25519.PublicKey(key), m.Bytes(), raw[12:]) {
			fail("cosignature by %s does not verify", name)
		}
		fmt.Printf("cosigned %s %d\n", name, t)
		found = true
	}
	if !found {
		fail("no cosignature by %s", name)
	}
}

func sign(args []string) {
	if len(args) != 3 {
		fail("sign NAME SEED_HEX TEXT_FILE")
	}
	seed, err := hex.DecodeString(args[1])
	if err != nil || len(seed) != ed25519.SeedSize {
		fail("seed")
	}
	text, err := os.ReadFile(args[2])
	if err != nil {
		fail("%v", err)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	pub := priv.Public().(ed25519.PublicKey)
	skey := "PRIVATE+KEY+" + args[0] + "+" + keyHash(args[0], pub) + "+" +
		base64.StdEncoding.EncodeToString(append([]byte{1}, seed...))
	vkey := args[0] + "+" + keyHash(args[0], pub) + "+" +
		base64.StdEncoding.EncodeToString(append([]byte{1}, pub...))
	signer, err := note.NewSigner(skey)
	if err != nil {
		fail("signer: %v", err)
	}
	msg, err := note.Sign(&note.Note{Text: string(text)}, signer)
	if err != nil {
		fail("sign: %v", err)
	}
	fmt.Println(vkey)
	fmt.Print(string(msg))
}

func keyHash(name string, pub ed25519.PublicKey) string {
	h := sha256.New()
	h.Write([]byte(name + "\n"))
	h.Write([]byte{1})
	h.Write(pub)
	return strings.ToLower(hex.EncodeToString(h.Sum(nil)[:4]))
}
