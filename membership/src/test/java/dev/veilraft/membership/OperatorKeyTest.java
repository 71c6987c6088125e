package dev.veilraft.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.Hashes;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Operator keys: files, permissions, OpenSSL interoperability, signatures, and errors naming the file. */
class OperatorKeyTest {
  /** A throwaway test key written by 'openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256'. */
  private static final String OPENSSL_KEY = """
      -----BEGIN PRIVATE KEY-----
      MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgtWwHgPFoKis+fBea
      aM9+LHdjxVisENWE6VdRYObaC3ehRANCAASFWT6fETRKDbO8S9CffgeFgDcgPBb/
      CTCihZz84lw+5m9LQWHiUPMGWVH0vcjHbDK8S7n0jUzUZp6deSNbnTWF
      -----END PRIVATE KEY-----
      """;
  /** 'openssl pkey -pubout' of that key. */
  private static final String OPENSSL_PUB = """
      -----BEGIN PUBLIC KEY-----
      MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEhVk+nxE0Sg2zvEvQn34HhYA3IDwW
      /wkwooWc/OJcPuZvS0Fh4lDzBllR9L3Ix2wyvEu59I1M1GaenXkjW501hQ==
      -----END PUBLIC KEY-----
      """;
  /** 'openssl dgst -sha256 -sign' of "hello" with that key. */
  private static final String OPENSSL_SIGNATURE =
      "MEQCIElNNRJ7SVsBIatobWw3atoX73/VGZZaCW/ImRB5ngOqAiBT1jes3BFcdUDK7qFgLRmme2bcwAqk91XQEUXAgl0tgA==";

  @Test
  void aWrittenKeyPairLoadsBackAndSignsVerifiably(@TempDir Path dir) throws Exception {
    // Proves keygen files round-trip: the loaded private key signs what the written public key verifies.
    OperatorKey key = OperatorKey.generate();
    key.writePrivateKey(dir.resolve("alice.key"));
    key.writePublicKey(dir.resolve("alice.pub"));

    OperatorKey loaded = OperatorKey.load(dir.resolve("alice.key"));
    byte[] spki = OperatorKey.loadPublicKey(dir.resolve("alice.pub"));
    byte[] message = Hashes.utf8("veilraft/test");
    byte[] signature = loaded.sign(message);

    assertThat(loaded.publicKeySpki()).isEqualTo(key.publicKeySpki()).isEqualTo(spki);
    assertThat(loaded.fingerprintHex()).isEqualTo(Hashes.hex(Hashes.sha256(spki)));
    assertThat(OperatorKey.verify(spki, message, signature)).isTrue();
    assertThat(OperatorKey.verify(spki, Hashes.utf8("veilraft/other"), signature)).isFalse();
    assertThat(Files.readString(dir.resolve("alice.key"))).startsWith("-----BEGIN PRIVATE KEY-----\n");
    assertThat(Files.readString(dir.resolve("alice.pub"))).startsWith("-----BEGIN PUBLIC KEY-----\n");
  }

  @Test
  void thePrivateKeyFileIsOwnerOnlyAndIsNeverOverwritten(@TempDir Path dir) throws Exception {
    // Proves the private key is written 0600 and an existing key file is refused rather than replaced.
    Assumptions.assumeTrue(Files.getFileStore(dir).supportsFileAttributeView("posix"), "POSIX file system");
    Path file = dir.resolve("k.key");
    OperatorKey.generate().writePrivateKey(file);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    assertThatThrownBy(() -> OperatorKey.generate().writePrivateKey(file)).isInstanceOf(FileAlreadyExistsException.class);
    assertThatThrownBy(() -> OperatorKey.generate().writePublicKey(file)).isInstanceOf(FileAlreadyExistsException.class);
  }

  @Test
  void aPrivateKeyReadableByOthersIsRefused(@TempDir Path dir) throws Exception {
    // Like ssh: a group- or world-readable private key is refused with the chmod that fixes it.
    Assumptions.assumeTrue(Files.getFileStore(dir).supportsFileAttributeView("posix"), "POSIX file system");
    Path file = dir.resolve("k.key");
    OperatorKey.generate().writePrivateKey(file);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    assertThatThrownBy(() -> OperatorKey.load(file)).isInstanceOf(CryptoException.class)
        .hasMessageContaining(file.toString()).hasMessageContaining("chmod 600");
  }

  @Test
  void anOpenSslKeyLoadsAndItsSignaturesVerify(@TempDir Path dir) throws Exception {
    // Proves interoperability: OpenSSL's PKCS#8 P-256 key loads with its public key, and OpenSSL signatures verify.
    Path file = dir.resolve("ossl.key");
    Files.writeString(file, OPENSSL_KEY);
    restrict(file);
    Path pub = dir.resolve("ossl.pub");
    Files.writeString(pub, OPENSSL_PUB);

    OperatorKey key = OperatorKey.load(file);

    assertThat(key.publicKeySpki()).isEqualTo(OperatorKey.loadPublicKey(pub));
    assertThat(OperatorKey.verify(key.publicKeySpki(), Hashes.utf8("hello"), Base64.getDecoder().decode(OPENSSL_SIGNATURE)))
        .isTrue();
  }

  @Test
  void loadErrorsNameTheFileAndTheFix(@TempDir Path dir) throws Exception {
    // Missing files, non-PEM files, SEC1 keys and PKCS#8 keys without their public key each get an actionable message.
    Path missing = dir.resolve("missing.key");
    assertThatThrownBy(() -> OperatorKey.load(missing)).isInstanceOf(CryptoException.class)
        .hasMessageContaining(missing.toString()).hasMessageContaining("does not exist");
    assertThatThrownBy(() -> OperatorKey.loadPublicKey(missing)).isInstanceOf(CryptoException.class)
        .hasMessageContaining("does not exist");

    Path text = restrict(Files.writeString(dir.resolve("text.key"), "not a key\n"));
    assertThatThrownBy(() -> OperatorKey.load(text)).isInstanceOf(CryptoException.class)
        .hasMessageContaining(text.toString()).hasMessageContaining("BEGIN PRIVATE KEY");

    Path sec1 = restrict(Files.writeString(dir.resolve("sec1.key"),
        "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"));
    assertThatThrownBy(() -> OperatorKey.load(sec1)).isInstanceOf(CryptoException.class)
        .hasMessageContaining("openssl pkcs8 -topk8");

    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    byte[] jdkPkcs8 = generator.generateKeyPair().getPrivate().getEncoded(); // no embedded public key
    Path bare = restrict(Files.writeString(dir.resolve("bare.key"), "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder().encodeToString(jdkPkcs8) + "\n-----END PRIVATE KEY-----\n"));
    assertThatThrownBy(() -> OperatorKey.load(bare)).isInstanceOf(CryptoException.class)
        .hasMessageContaining(bare.toString()).hasMessageContaining("does not carry its public key");
  }

  @Test
  void onlyCanonicalP256PublicKeysAreOperatorKeys() throws Exception {
    // A P-384 key, garbage and an SPKI with trailing bytes are not operator keys; verify() says false, never throws.
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp384r1"));
    byte[] p384 = generator.generateKeyPair().getPublic().getEncoded();
    byte[] trailing = Hashes.concat(OperatorKey.generate().publicKeySpki(), new byte[] {0});

    assertThat(OperatorKey.publicKeyProblem(p384)).hasValueSatisfying(p -> assertThat(p).contains("P-256"));
    assertThat(OperatorKey.publicKeyProblem(new byte[] {1, 2, 3})).isPresent();
    assertThat(OperatorKey.publicKeyProblem(new byte[0])).hasValue("public key is empty");
    assertThat(OperatorKey.publicKeyProblem(trailing)).isPresent();
    assertThat(OperatorKey.publicKeyProblem(OperatorKey.generate().publicKeySpki())).isEmpty();
    assertThat(OperatorKey.verify(new byte[] {1}, new byte[0], new byte[] {2})).isFalse();
    OperatorKey key = OperatorKey.generate();
    assertThat(OperatorKey.verify(key.publicKeySpki(), new byte[0], new byte[] {0x30, 0x00})).isFalse();
  }

  private static Path restrict(Path file) throws Exception {
    if (Files.getFileStore(file).supportsFileAttributeView("posix")) {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }
    return file;
  }
}
