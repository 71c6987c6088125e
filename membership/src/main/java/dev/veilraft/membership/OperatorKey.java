package dev.veilraft.membership;

import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.Hashes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An operator's signing key: ECDSA P-256 with SHA-256, DER signatures. It signs the genesis,
 * endorsements of the operator's nodes, and governance proposals and ballots.
 *
 * <p>Files: the private key is PKCS#8 PEM ({@code -----BEGIN PRIVATE KEY-----}, mode 0600) whose
 * inner ECPrivateKey carries the public key (RFC 5915 {@code [1] publicKey}, as OpenSSL writes
 * it), so the key pair is known from the one file; the public key is SPKI PEM ({@code -----BEGIN
 * PUBLIC KEY-----}). {@code openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256} writes
 * a compatible private key, {@code openssl pkey -pubout} the public one.
 */
public final class OperatorKey {
  public static final String SIGNATURE_ALGORITHM = "SHA256withECDSA";
  /** A key file is a few hundred bytes; this bounds what is read. */
  public static final int KEY_FILE_BYTES_MAX = 16 * 1024;
  private static final int COORDINATE_BYTES = 32;
  private static final byte[] PROBE = Hashes.utf8("veilraft/operator-key-probe");
  private static final ECParameterSpec P256 = p256();
  private static final Pattern PEM = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*?)-----END \\1-----");
  /** AlgorithmIdentifier{id-ecPublicKey, prime256v1}, DER. */
  private static final byte[] EC_P256_ALGORITHM = Hashes.unhex("301306072a8648ce3d020106082a8648ce3d030107");

  private final PrivateKey privateKey;
  private final byte[] publicKeySpki;

  private OperatorKey(PrivateKey privateKey, byte[] publicKeySpki) {
    this.privateKey = privateKey;
    this.publicKeySpki = publicKeySpki;
  }

  /** A fresh key pair from the JDK's strong random source. */
  public static OperatorKey generate() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
      KeyPair pair = generator.generateKeyPair();
      return new OperatorKey(pair.getPrivate(), pair.getPublic().getEncoded());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("JDK cannot generate a P-256 key", e);
    }
  }

  /** Reads a private key file (PKCS#8 PEM, see the class comment); errors name the file. */
  public static OperatorKey load(Path privateKeyFile) throws CryptoException {
    checkNotShared(privateKeyFile);
    byte[] pkcs8 = pemBlock(read(privateKeyFile, "private key"), "PRIVATE KEY", privateKeyFile);
    return fromPkcs8(pkcs8, privateKeyFile.toString());
  }

  /** A key from PKCS#8 DER whose ECPrivateKey carries the public key; {@code source} names it in errors. */
  public static OperatorKey fromPkcs8(byte[] pkcs8, String source) throws CryptoException {
    PrivateKey key;
    try {
      key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new CryptoException(source + ": not a PKCS#8 EC private key (" + e.getMessage() + ")", e);
    }
    if (!(key instanceof ECPrivateKey ec) || !sameCurve(ec.getParams())) {
      throw new CryptoException(source + ": private key is not on curve P-256 (secp256r1)");
    }
    byte[] point = embeddedPublicPoint(pkcs8, source);
    byte[] spki = Hashes.concat(new byte[] {0x30, 0x59}, EC_P256_ALGORITHM, new byte[] {0x03, 0x42, 0x00}, point);
    Optional<String> problem = publicKeyProblem(spki);
    if (problem.isPresent()) {
      throw new CryptoException(source + ": embedded public key: " + problem.get());
    }
    OperatorKey loaded = new OperatorKey(key, spki);
    if (!verify(spki, PROBE, loaded.sign(PROBE))) {
      throw new CryptoException(source + ": the embedded public key does not belong to the private key");
    }
    return loaded;
  }

  /** Reads a public key file (SPKI PEM) and returns the DER SubjectPublicKeyInfo, checked to be P-256. */
  public static byte[] loadPublicKey(Path publicKeyFile) throws CryptoException {
    byte[] spki = pemBlock(read(publicKeyFile, "public key"), "PUBLIC KEY", publicKeyFile);
    Optional<String> problem = publicKeyProblem(spki);
    if (problem.isPresent()) {
      throw new CryptoException(publicKeyFile + ": " + problem.get());
    }
    return spki;
  }

  /**
   * Writes the private key as PKCS#8 PEM readable only by the owner (0600 where the file system
   * has POSIX permissions). Refuses to overwrite an existing file: a lost operator key cannot be
   * recovered.
   */
  public void writePrivateKey(Path file) throws IOException {
    byte[] pem = pem("PRIVATE KEY", pkcs8WithPublicKey());
    try {
      if (Files.getFileStore(parentOf(file)).supportsFileAttributeView("posix")) {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } else {
        Files.createFile(file);
      }
    } catch (FileAlreadyExistsException e) {
      throw new FileAlreadyExistsException(file.toString(), null, "refusing to overwrite an existing key file");
    }
    Files.write(file, pem, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
  }

  /** Writes the public key as SPKI PEM; refuses to overwrite an existing file. */
  public void writePublicKey(Path file) throws IOException {
    try {
      Files.write(file, publicKeyPem(publicKeySpki), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    } catch (FileAlreadyExistsException e) {
      throw new FileAlreadyExistsException(file.toString(), null, "refusing to overwrite an existing key file");
    }
  }

  /** SPKI DER as PEM text. */
  public static byte[] publicKeyPem(byte[] spki) {
    return pem("PUBLIC KEY", spki);
  }

  /** DER SubjectPublicKeyInfo: what a genesis lists as the operator's {@code public_key_spki}. */
  public byte[] publicKeySpki() {
    return publicKeySpki.clone();
  }

  /** SHA-256 of the SPKI in hex: the key's fingerprint, for operators to compare out of band. */
  public String fingerprintHex() {
    return fingerprintHex(publicKeySpki);
  }

  public static String fingerprintHex(byte[] spki) {
    return Hashes.hex(Hashes.sha256(spki));
  }

  /** ECDSA P-256/SHA-256 over {@code message}, DER encoded. */
  public byte[] sign(byte[] message) {
    try {
      Signature signature = Signature.getInstance(SIGNATURE_ALGORITHM);
      signature.initSign(privateKey);
      signature.update(message);
      return signature.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("ECDSA signing failed", e);
    }
  }

  /** Whether {@code signature} is this scheme's signature over {@code message} under {@code spki}; false for any malformed input. */
  public static boolean verify(byte[] spki, byte[] message, byte[] signature) {
    try {
      PublicKey key = parsePublicKey(spki);
      Signature verifier = Signature.getInstance(SIGNATURE_ALGORITHM);
      verifier.initVerify(key);
      verifier.update(message);
      return verifier.verify(signature);
    } catch (CryptoException | GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  /** The problem with {@code spki} as an operator key, or empty when it is a canonical P-256 SPKI. */
  public static Optional<String> publicKeyProblem(byte[] spki) {
    try {
      parsePublicKey(spki);
      return Optional.empty();
    } catch (CryptoException e) {
      return Optional.of(e.getMessage());
    }
  }

  /**
   * Parses a DER SPKI as an EC P-256 public key. The bytes must re-encode to themselves, so one
   * key has exactly one accepted encoding (no compressed points, no trailing bytes).
   */
  public static PublicKey parsePublicKey(byte[] spki) throws CryptoException {
    if (spki == null || spki.length == 0) {
      throw new CryptoException("public key is empty");
    }
    PublicKey key;
    try {
      key = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(spki));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new CryptoException("public key is not a DER SubjectPublicKeyInfo of an EC key (" + e.getMessage() + ")", e);
    }
    if (!(key instanceof ECPublicKey ec) || !sameCurve(ec.getParams())) {
      throw new CryptoException("public key is not on curve P-256 (secp256r1)");
    }
    if (!Arrays.equals(key.getEncoded(), spki)) {
      throw new CryptoException("public key is not in canonical DER (uncompressed point, no trailing bytes)");
    }
    return key;
  }

  /** PKCS#8 v1 with the public key inside the ECPrivateKey (RFC 5915), as OpenSSL writes P-256 keys. */
  private byte[] pkcs8WithPublicKey() {
    byte[] d = unsignedFixed(((ECPrivateKey) privateKey).getS().toByteArray());
    byte[] point = Arrays.copyOfRange(publicKeySpki, publicKeySpki.length - 65, publicKeySpki.length);
    byte[] ecPrivateKey = Hashes.concat(new byte[] {0x30, 0x6b, 0x02, 0x01, 0x01, 0x04, 0x20}, d,
        new byte[] {(byte) 0xa1, 0x44, 0x03, 0x42, 0x00}, point);
    byte[] out = Hashes.concat(new byte[] {0x30, (byte) 0x81, (byte) 0x87, 0x02, 0x01, 0x00}, EC_P256_ALGORITHM,
        new byte[] {0x04, 0x6d}, ecPrivateKey);
    Arrays.fill(d, (byte) 0);
    Arrays.fill(ecPrivateKey, (byte) 0);
    return out;
  }

  private static byte[] unsignedFixed(byte[] twosComplement) {
    byte[] out = new byte[COORDINATE_BYTES];
    int length = Math.min(twosComplement.length, COORDINATE_BYTES);
    System.arraycopy(twosComplement, twosComplement.length - length, out, COORDINATE_BYTES - length, length);
    Arrays.fill(twosComplement, (byte) 0);
    return out;
  }

  /** The 65-byte uncompressed point in ECPrivateKey's {@code [1] publicKey}, walking the DER. */
  private static byte[] embeddedPublicPoint(byte[] pkcs8, String source) throws CryptoException {
    try {
      Der outer = Der.at(pkcs8, 0, 0x30).only(pkcs8.length);
      Der version = Der.at(pkcs8, outer.start, 0x02);
      Der algorithm = Der.at(pkcs8, version.end, 0x30);
      Der octets = Der.at(pkcs8, algorithm.end, 0x04);
      Der inner = Der.at(pkcs8, octets.start, 0x30).only(octets.end);
      Der innerVersion = Der.at(pkcs8, inner.start, 0x02);
      int position = Der.at(pkcs8, innerVersion.end, 0x04).end;
      while (position < inner.end) {
        Der field = Der.at(pkcs8, position, -1);
        if (field.tag == 0xa1) {
          Der bits = Der.at(pkcs8, field.start, 0x03);
          if (bits.end - bits.start != 66 || pkcs8[bits.start] != 0 || pkcs8[bits.start + 1] != 0x04) {
            throw new CryptoException(source + ": embedded public key is not an uncompressed P-256 point");
          }
          return Arrays.copyOfRange(pkcs8, bits.start + 1, bits.end);
        }
        position = field.end;
      }
    } catch (IndexOutOfBoundsException e) {
      throw new CryptoException(source + ": PKCS#8 structure is truncated", e);
    }
    throw new CryptoException(source + ": the PKCS#8 key does not carry its public key; write keys with "
        + "'veilraft operator keygen' or 'openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256'");
  }

  /** One DER element: its tag and the bounds of its content. Only what PKCS#8 EC keys need. */
  private record Der(int tag, int start, int end) {
    static Der at(byte[] der, int offset, int expectedTag) throws CryptoException {
      int tag = der[offset] & 0xff;
      if (expectedTag >= 0 && tag != expectedTag) {
        throw new CryptoException("unexpected DER tag 0x" + Integer.toHexString(tag) + " at byte " + offset);
      }
      int first = der[offset + 1] & 0xff;
      int length;
      int start;
      if (first < 0x80) {
        length = first;
        start = offset + 2;
      } else if (first == 0x81) {
        length = der[offset + 2] & 0xff;
        start = offset + 3;
      } else if (first == 0x82) {
        length = ((der[offset + 2] & 0xff) << 8) | (der[offset + 3] & 0xff);
        start = offset + 4;
      } else {
        throw new CryptoException("unsupported DER length at byte " + offset);
      }
      if (start + length > der.length) {
        throw new IndexOutOfBoundsException("DER element at byte " + offset + " runs past the end");
      }
      return new Der(tag, start, start + length);
    }

    Der only(int enclosingEnd) throws CryptoException {
      if (end != enclosingEnd) {
        throw new CryptoException("trailing bytes after the DER element");
      }
      return this;
    }
  }

  private static boolean sameCurve(ECParameterSpec params) {
    return params != null && params.getCurve().equals(P256.getCurve()) && params.getGenerator().equals(P256.getGenerator())
        && params.getOrder().equals(P256.getOrder()) && params.getCofactor() == P256.getCofactor();
  }

  private static ECParameterSpec p256() {
    try {
      AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
      parameters.init(new ECGenParameterSpec("secp256r1"));
      return parameters.getParameterSpec(ECParameterSpec.class);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("JDK lacks curve P-256", e);
    }
  }

  private static byte[] pem(String type, byte[] der) {
    String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
    return ("-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n").getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] pemBlock(byte[] file, String type, Path source) throws CryptoException {
    Matcher matcher = PEM.matcher(new String(file, StandardCharsets.US_ASCII));
    while (matcher.find()) {
      String found = matcher.group(1);
      if (found.equals(type)) {
        try {
          return Base64.getMimeDecoder().decode(matcher.group(2));
        } catch (IllegalArgumentException e) {
          throw new CryptoException(source + ": PEM block " + type + " is not valid base64", e);
        }
      }
      if (found.equals("EC PRIVATE KEY") && type.equals("PRIVATE KEY")) {
        throw new CryptoException(source + ": SEC1 'EC PRIVATE KEY'; convert it with "
            + "'openssl pkcs8 -topk8 -nocrypt -in " + source + "'");
      }
      if (found.equals("ENCRYPTED PRIVATE KEY")) {
        throw new CryptoException(source + ": encrypted private keys are not supported; decrypt it with "
            + "'openssl pkcs8 -in " + source + "'");
      }
    }
    throw new CryptoException(source + ": no PEM block '-----BEGIN " + type + "-----'");
  }

  private static byte[] read(Path file, String what) throws CryptoException {
    try {
      if (Files.size(file) > KEY_FILE_BYTES_MAX) {
        throw new CryptoException(file + ": " + what + " file is larger than " + KEY_FILE_BYTES_MAX + " bytes");
      }
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new CryptoException(file + ": " + what + " file does not exist");
    } catch (IOException e) {
      throw new CryptoException(file + ": cannot read " + what + " file: " + e.getMessage(), e);
    }
  }

  /** Like ssh, refuses a private key that group or others may read or write. */
  private static void checkNotShared(Path file) throws CryptoException {
    Set<PosixFilePermission> permissions;
    try {
      permissions = Files.getPosixFilePermissions(file);
    } catch (UnsupportedOperationException e) {
      return; // No POSIX permissions on this file system.
    } catch (NoSuchFileException e) {
      throw new CryptoException(file + ": private key file does not exist");
    } catch (IOException e) {
      throw new CryptoException(file + ": cannot read private key file: " + e.getMessage(), e);
    }
    Set<PosixFilePermission> shared = Set.of(PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
        PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE);
    if (permissions.stream().anyMatch(shared::contains)) {
      throw new CryptoException(file + ": private key file is accessible by group or others (mode "
          + PosixFilePermissions.toString(permissions) + "); run 'chmod 600 " + file + "'");
    }
  }

  private static Path parentOf(Path file) {
    Path parent = file.toAbsolutePath().getParent();
    return parent == null ? file.toAbsolutePath() : parent;
  }

  @Override
  public String toString() {
    return "OperatorKey{sha256=" + Hashes.shortHex(Hashes.sha256(publicKeySpki), 8) + "}";
  }
}
