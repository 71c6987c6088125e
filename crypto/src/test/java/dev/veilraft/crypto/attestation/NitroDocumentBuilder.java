package dev.veilraft.crypto.attestation;

import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.dataformat.cbor.CBORGenerator;
import dev.veilraft.crypto.Hashes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.crypto.digests.SHA384Digest;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.operator.ContentSigner;

/**
 * Test-only maker of synthetic Nitro attestation documents: a COSE_Sign1 over a payload shaped
 * like AWS's, signed with ES384 by a throwaway leaf under a throwaway root and intermediate. Every
 * key is derived from a label and every signature is deterministic (RFC 6979), so the same calls
 * give the same bytes on every run: the committed fuzz seeds stay verifiable under the root this
 * class makes. Nothing here comes from real evidence. Setters return this; not thread-safe.
 */
final class NitroDocumentBuilder {
  /** Synthetic validity: the leaf lives three hours from here, like AWS's. */
  static final Instant NOT_BEFORE = Instant.parse("2026-03-01T00:00:00Z");
  static final Instant LEAF_NOT_AFTER = NOT_BEFORE.plus(Duration.ofHours(3));
  static final Instant CA_NOT_AFTER = Instant.parse("2027-03-01T00:00:00Z");
  static final Instant TIMESTAMP = NOT_BEFORE.plusSeconds(90);
  static final byte[] PROTECTED_ES384 = {(byte) 0xA1, 0x01, 0x38, 0x22};
  static final byte[] EMPTY_MAP = {(byte) 0xA0};

  private static final CBORFactory CBOR = new CBORFactory();

  /** A P-384 (or P-256) key whose scalar is derived from a label: reproducible, and useless outside tests. */
  record TestKey(String label, String curve, BigInteger scalar, ECPublicKey publicKey) {
    static TestKey derive(String label, String curve) {
      X9ECParameters x9 = ECNamedCurveTable.getByName(curve);
      BigInteger n = x9.getN();
      BigInteger d = new BigInteger(1, Hashes.sha384(Hashes.utf8("veilraft test key/" + curve + "/" + label)))
          .mod(n.subtract(BigInteger.ONE)).add(BigInteger.ONE);
      org.bouncycastle.math.ec.ECPoint q = x9.getG().multiply(d).normalize();
      try {
        AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
        params.init(new ECGenParameterSpec(curve));
        ECParameterSpec spec = params.getParameterSpec(ECParameterSpec.class);
        ECPoint w = new ECPoint(q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger());
        ECPublicKey pub = (ECPublicKey) KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(w, spec));
        return new TestKey(label, curve, d, pub);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }

    /** Deterministic ECDSA over SHA-384(message): {r, s}. */
    BigInteger[] sign(byte[] message) {
      X9ECParameters x9 = ECNamedCurveTable.getByName(curve);
      ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(new SHA384Digest()));
      signer.init(true, new ECPrivateKeyParameters(scalar, new ECDomainParameters(x9)));
      return signer.generateSignature(Hashes.sha384(message));
    }

    /** r || s, 48 bytes each: the COSE ES384 signature format. */
    byte[] signRaw(byte[] message) {
      BigInteger[] rs = sign(message);
      return Hashes.concat(fixed(rs[0], 48), fixed(rs[1], 48));
    }

    private static byte[] fixed(BigInteger value, int length) {
      byte[] bytes = value.toByteArray();
      byte[] out = new byte[length];
      int copy = Math.min(bytes.length, length);
      System.arraycopy(bytes, bytes.length - copy, out, length - copy, copy);
      return out;
    }
  }

  /** How a certificate is issued; the defaults are those of an AWS intermediate. */
  static final class CertSpec {
    String subject;
    TestKey key;
    String issuer;
    TestKey issuerKey;
    /** -1: not a CA; Integer.MAX_VALUE: CA without a path length; otherwise CA with this path length. */
    int pathLength = 0;
    Integer keyUsage;
    Instant notBefore = NOT_BEFORE;
    Instant notAfter = CA_NOT_AFTER;
    long serial = 1;

    byte[] issue() {
      try {
        X509v3CertificateBuilder builder = new X509v3CertificateBuilder(new X500Name(issuer),
            BigInteger.valueOf(serial), Date.from(notBefore), Date.from(notAfter), new X500Name(subject),
            SubjectPublicKeyInfo.getInstance(key.publicKey().getEncoded()));
        BasicConstraints constraints = pathLength < 0 ? new BasicConstraints(false)
            : pathLength == Integer.MAX_VALUE ? new BasicConstraints(true) : new BasicConstraints(pathLength);
        builder.addExtension(Extension.basicConstraints, true, constraints);
        int usage = keyUsage != null ? keyUsage
            : pathLength < 0 ? KeyUsage.digitalSignature | KeyUsage.nonRepudiation
            : KeyUsage.digitalSignature | KeyUsage.keyCertSign | KeyUsage.cRLSign;
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(usage));
        return builder.build(new DeterministicSigner(issuerKey)).getEncoded();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** Signs certificates with ecdsa-with-SHA384, deterministically. */
  private static final class DeterministicSigner implements ContentSigner {
    private final TestKey key;
    private final ByteArrayOutputStream tbs = new ByteArrayOutputStream();

    DeterministicSigner(TestKey key) {
      this.key = key;
    }

    @Override
    public AlgorithmIdentifier getAlgorithmIdentifier() {
      return new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA384);
    }

    @Override
    public OutputStream getOutputStream() {
      return tbs;
    }

    @Override
    public byte[] getSignature() {
      BigInteger[] rs = key.sign(tbs.toByteArray());
      try {
        return new DERSequence(new ASN1Integer[] {new ASN1Integer(rs[0]), new ASN1Integer(rs[1])}).getEncoded();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** A synthetic Nitro PKI: root (CA), intermediate (CA, path length 0), leaf (end entity), all P-384. */
  record Pki(String label, TestKey rootKey, byte[] root, TestKey intermediateKey, byte[] intermediate,
      TestKey leafKey, byte[] leaf) {
    static Pki create(String label) {
      TestKey rootKey = TestKey.derive(label + "/root", "secp384r1");
      TestKey intermediateKey = TestKey.derive(label + "/intermediate", "secp384r1");
      TestKey leafKey = TestKey.derive(label + "/leaf", "secp384r1");
      String rootName = "CN=" + label + " test root,OU=veilraft tests";
      String intermediateName = "CN=" + label + " test intermediate,OU=veilraft tests";
      CertSpec root = spec(rootName, rootKey, rootName, rootKey, Integer.MAX_VALUE);
      CertSpec intermediate = spec(intermediateName, intermediateKey, rootName, rootKey, 0);
      intermediate.serial = 2;
      return new Pki(label, rootKey, root.issue(), intermediateKey, intermediate.issue(), leafKey,
          leafSpec(label + "-leaf", leafKey, intermediateName, intermediateKey).issue());
    }

    String intermediateName() {
      return "CN=" + label + " test intermediate,OU=veilraft tests";
    }

    /** A verifier that trusts this PKI's root (and nothing else). */
    NitroEvidenceVerifier verifier() {
      return new NitroEvidenceVerifier(PinnedRoot.of(label + " test root", root));
    }
  }

  static CertSpec spec(String subject, TestKey key, String issuer, TestKey issuerKey, int pathLength) {
    CertSpec spec = new CertSpec();
    spec.subject = subject;
    spec.key = key;
    spec.issuer = issuer;
    spec.issuerKey = issuerKey;
    spec.pathLength = pathLength;
    return spec;
  }

  /** An end-entity certificate valid for three hours, like an AWS leaf. */
  static CertSpec leafSpec(String commonName, TestKey key, String issuer, TestKey issuerKey) {
    CertSpec spec = spec("CN=" + commonName + ",OU=veilraft tests", key, issuer, issuerKey, -1);
    spec.notAfter = LEAF_NOT_AFTER;
    spec.serial = 3;
    return spec;
  }

  /** A deterministic PCR value: nonzero, distinct per index and label. */
  static byte[] pcr(String label, int index) {
    return Hashes.sha384(Hashes.utf8("pcr/" + label + "/" + index));
  }

  private final Pki pki;
  private final List<Object[]> fields = new ArrayList<>();
  private boolean indefinite;
  private boolean tagged;
  private byte[] protectedHeader = PROTECTED_ES384;
  private byte[] unprotectedHeader = EMPTY_MAP;
  private TestKey signer;
  private byte[] signatureOverride;
  private byte[] payloadOverride;
  private byte[] trailing = new byte[0];

  NitroDocumentBuilder(Pki pki) {
    this.pki = pki;
    this.signer = pki.leafKey();
    Map<Object, Object> pcrs = new LinkedHashMap<>();
    for (int i = 0; i < 16; i++) {
      pcrs.put(i, i <= 4 || i == 8 ? pcr(pki.label(), i) : new byte[48]);
    }
    set("module_id", "i-0123456789abcdef0-enc0123456789abcdef");
    set("digest", "SHA384");
    set("timestamp", TIMESTAMP.toEpochMilli());
    set("pcrs", pcrs);
    set("certificate", pki.leaf());
    set("cabundle", List.of(pki.root(), pki.intermediate()));
    set("public_key", null);
    set("user_data", Hashes.sha512(Hashes.utf8("user data/" + pki.label())));
    set("nonce", null);
  }

  /** Sets a payload key (replacing its first occurrence, in place), keeping AWS's key order. */
  NitroDocumentBuilder set(Object key, Object value) {
    for (Object[] field : fields) {
      if (field[0].equals(key)) {
        field[1] = value;
        return this;
      }
    }
    fields.add(new Object[] {key, value});
    return this;
  }

  /** Appends a payload entry even when the key is already there (for duplicate-key documents). */
  NitroDocumentBuilder add(Object key, Object value) {
    fields.add(new Object[] {key, value});
    return this;
  }

  NitroDocumentBuilder remove(Object key) {
    fields.removeIf(field -> field[0].equals(key));
    return this;
  }

  /** PCR {@code index} set to {@code value} (others kept). */
  @SuppressWarnings("unchecked")
  NitroDocumentBuilder pcr(int index, Object value) {
    for (Object[] field : fields) {
      if (field[0].equals("pcrs")) {
        Map<Object, Object> pcrs = new LinkedHashMap<>((Map<Object, Object>) field[1]);
        pcrs.put(index, value);
        field[1] = pcrs;
      }
    }
    return this;
  }

  /** Payload and PCR maps with indefinite length (0xBF ... 0xFF), as dstack's documents have. */
  NitroDocumentBuilder indefinite(boolean value) {
    indefinite = value;
    return this;
  }

  /** Prefix the COSE_Sign1 tag 18. */
  NitroDocumentBuilder tagged(boolean value) {
    tagged = value;
    return this;
  }

  NitroDocumentBuilder protectedHeader(byte[] value) {
    protectedHeader = value.clone();
    return this;
  }

  /** The unprotected header as raw CBOR (default: an empty map). */
  NitroDocumentBuilder unprotectedHeader(byte[] rawCbor) {
    unprotectedHeader = rawCbor.clone();
    return this;
  }

  NitroDocumentBuilder signWith(TestKey key) {
    signer = key;
    return this;
  }

  NitroDocumentBuilder signature(byte[] value) {
    signatureOverride = value.clone();
    return this;
  }

  /** A payload given as raw bytes, signed as given (for payloads the field setters cannot express). */
  NitroDocumentBuilder payload(byte[] raw) {
    payloadOverride = raw.clone();
    return this;
  }

  NitroDocumentBuilder trailing(byte[] value) {
    trailing = value.clone();
    return this;
  }

  Pki pki() {
    return pki;
  }

  /** The payload map as CBOR. */
  byte[] payload() {
    if (payloadOverride != null) {
      return payloadOverride.clone();
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (CBORGenerator generator = CBOR.createGenerator(out)) {
      if (indefinite) {
        generator.writeStartObject();
      } else {
        generator.writeStartObject(null, fields.size());
      }
      for (Object[] field : fields) {
        writeKey(generator, field[0]);
        write(generator, field[1]);
      }
      generator.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** The whole document: [protected, unprotected, payload, signature], tagged if asked, then any trailing bytes. */
  byte[] build() {
    byte[] payload = payload();
    byte[] signature = signatureOverride != null ? signatureOverride
        : signer.signRaw(sigStructure(protectedHeader, payload));
    return Hashes.concat(tagged ? new byte[] {(byte) 0xD2} : new byte[0], new byte[] {(byte) 0x84},
        bstr(protectedHeader), unprotectedHeader, bstr(payload), bstr(signature), trailing);
  }

  /**
   * Sig_structure ["Signature1", protected, h'', payload], encoded by hand here so the builder
   * does not share the production encoder it is used to test.
   */
  static byte[] sigStructure(byte[] protectedHeader, byte[] payload) {
    return Hashes.concat(new byte[] {(byte) 0x84, 0x6A}, Hashes.utf8("Signature1"), bstr(protectedHeader),
        new byte[] {0x40}, bstr(payload));
  }

  /** A definite-length CBOR byte string. */
  static byte[] bstr(byte[] content) {
    int n = content.length;
    byte[] head;
    if (n < 24) {
      head = new byte[] {(byte) (0x40 | n)};
    } else if (n < 0x100) {
      head = new byte[] {0x58, (byte) n};
    } else if (n < 0x10000) {
      head = new byte[] {0x59, (byte) (n >>> 8), (byte) n};
    } else {
      head = new byte[] {0x5A, (byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n};
    }
    return Hashes.concat(head, content);
  }

  /** Wraps a value in a CBOR tag when written. */
  record Tagged(int tag, Object value) {}

  private static void writeKey(CBORGenerator generator, Object key) throws IOException {
    if (key instanceof String text) {
      generator.writeFieldName(text);
    } else {
      generator.writeFieldId(((Number) key).longValue());
    }
  }

  @SuppressWarnings("unchecked")
  private void write(CBORGenerator generator, Object value) throws IOException {
    if (value == null) {
      generator.writeNull();
    } else if (value instanceof String text) {
      generator.writeString(text);
    } else if (value instanceof Number number) {
      generator.writeNumber(number.longValue());
    } else if (value instanceof byte[] bytes) {
      generator.writeBinary(bytes);
    } else if (value instanceof Tagged tagged) {
      generator.writeTag(tagged.tag());
      write(generator, tagged.value());
    } else if (value instanceof List<?> list) {
      generator.writeStartArray(null, list.size());
      for (Object item : list) {
        write(generator, item);
      }
      generator.writeEndArray();
    } else if (value instanceof Map<?, ?> map) {
      if (indefinite) {
        generator.writeStartObject();
      } else {
        generator.writeStartObject(null, map.size());
      }
      for (Map.Entry<Object, Object> entry : ((Map<Object, Object>) map).entrySet()) {
        writeKey(generator, entry.getKey());
        write(generator, entry.getValue());
      }
      generator.writeEndObject();
    } else {
      throw new IllegalArgumentException("cannot encode " + value.getClass());
    }
  }

  /** The byte offset of {@code needle} in {@code haystack}, or -1. */
  static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  static byte[] flip(byte[] bytes, int offset, int mask) {
    byte[] copy = Arrays.copyOf(bytes, bytes.length);
    copy[offset] ^= (byte) mask;
    return copy;
  }
}
