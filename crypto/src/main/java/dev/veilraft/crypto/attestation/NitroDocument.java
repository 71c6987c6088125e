package dev.veilraft.crypto.attestation;

import static dev.veilraft.crypto.attestation.NitroCborReader.malformed;

import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.dataformat.cbor.CBORGenerator;
import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.Hashes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * An AWS Nitro Enclaves attestation document: a COSE_Sign1 structure (RFC 9052)
 * {@code [protected bstr, unprotected map, payload bstr, signature bstr]}, untagged or with tag
 * 18, whose payload is the CBOR map AWS specifies ("Verifying the root of trust", and
 * {@code shared/vectors/LAYOUTS.md}). Parsing is strict and bounded: the field sizes are AWS's,
 * unknown payload keys, duplicate keys, tags, wrong types and trailing bytes are refused, and the
 * only exception is {@link MalformedReportException}. Parsing checks nothing cryptographic and
 * does not judge the protected header's algorithm: {@link NitroEvidenceVerifier} does both.
 * Immutable; accessors return the parsed arrays, which callers must not modify.
 */
public final class NitroDocument {
  /**
   * Bound on a whole document. The NSM returns at most 12 KiB (NSM_RESPONSE_MAX_SIZE in
   * aws-nitro-enclaves-nsm-api); real documents are about 4.5 KiB.
   */
  static final int DOCUMENT_BYTES_MAX = 16 * 1024;
  /** COSE tag for COSE_Sign1; AWS sends the array untagged, RFC 9052 allows the tag. */
  static final int COSE_SIGN1_TAG_BYTE = 0xD2;
  /** A definite-length array of four items: the only COSE_Sign1 shape accepted. */
  static final int ARRAY_OF_4_BYTE = 0x84;
  /** COSE algorithm ES384: ECDSA on P-384 with SHA-384. */
  static final long ALG_ES384 = -35;
  /** ES384 signatures are r || s, each a 48-byte big-endian integer. */
  static final int SIGNATURE_BYTES = 96;
  static final int PROTECTED_HEADER_BYTES_MAX = 256;
  static final int HEADER_ENTRIES_MAX = 16;
  static final int MODULE_ID_CHARS_MAX = 256;
  static final int DIGEST_CHARS_MAX = 16;
  static final String DIGEST_SHA384 = "SHA384";
  static final int SHA384_BYTES = 48;
  /** PCR indices are 0..31 (AWS: {@code index = 0..31}). */
  static final int PCRS_MAX = 32;
  // Sizes below are AWS's syntactic bounds ("Verifying the root of trust").
  static final int CERTIFICATE_BYTES_MAX = 1024;
  /** AWS's chain is root, regional, zonal, instance: four. Twice that leaves room without being unbounded. */
  static final int CABUNDLE_CERTS_MAX = 8;
  static final int PUBLIC_KEY_BYTES_MAX = 1024;
  static final int USER_DATA_BYTES_MAX = 512;
  static final int NONCE_BYTES_MAX = 512;

  private static final byte[] EMPTY = new byte[0];
  private static final CBORFactory WRITER = new CBORFactory();

  private final byte[] protectedHeader;
  private final OptionalLong algorithm;
  private final int protectedHeaderEntries;
  private final byte[] payload;
  private final byte[] signature;
  private final String moduleId;
  private final String digest;
  private final long timestampMs;
  private final SortedMap<Integer, byte[]> pcrs;
  private final byte[] certificate;
  private final List<byte[]> cabundle;
  private final byte[] publicKey;
  private final byte[] userData;
  private final byte[] nonce;

  private NitroDocument(byte[] protectedHeader, ProtectedHeader header, byte[] payload, byte[] signature,
      Payload fields) {
    this.protectedHeader = protectedHeader;
    this.algorithm = header.algorithm();
    this.protectedHeaderEntries = header.entries();
    this.payload = payload;
    this.signature = signature;
    this.moduleId = fields.moduleId;
    this.digest = fields.digest;
    this.timestampMs = fields.timestampMs;
    this.pcrs = Collections.unmodifiableSortedMap(fields.pcrs);
    this.certificate = fields.certificate;
    this.cabundle = List.copyOf(fields.cabundle);
    this.publicKey = fields.publicKey == null ? EMPTY : fields.publicKey;
    this.userData = fields.userData == null ? EMPTY : fields.userData;
    this.nonce = fields.nonce == null ? EMPTY : fields.nonce;
  }

  private record ProtectedHeader(OptionalLong algorithm, int entries) {}

  /** Payload fields while they are read; null means not seen (yet). */
  private static final class Payload {
    String moduleId;
    String digest;
    Long timestampMs;
    SortedMap<Integer, byte[]> pcrs;
    byte[] certificate;
    List<byte[]> cabundle;
    byte[] publicKey;
    byte[] userData;
    byte[] nonce;
  }

  /** Parses a whole document; the bytes are copied, so the caller may reuse its array. */
  public static NitroDocument parse(byte[] document) throws MalformedReportException {
    if (document == null || document.length == 0) {
      throw malformed("attestation document is empty");
    }
    if (document.length > DOCUMENT_BYTES_MAX) {
      throw malformed("attestation document is " + document.length + " bytes; at most " + DOCUMENT_BYTES_MAX
          + " are accepted");
    }
    boolean tagged = Byte.toUnsignedInt(document[0]) == COSE_SIGN1_TAG_BYTE;
    byte[] cose = Arrays.copyOfRange(document, tagged ? 1 : 0, document.length);
    if (cose.length == 0 || Byte.toUnsignedInt(cose[0]) != ARRAY_OF_4_BYTE) {
      throw malformed("attestation document must be a COSE_Sign1 array of 4 items (CBOR 0x84"
          + (tagged ? " after tag 18" : ", optionally after tag 18 0xD2") + "), starts with "
          + (cose.length == 0 ? "nothing" : "0x" + Integer.toHexString(Byte.toUnsignedInt(cose[0]))));
    }
    byte[] protectedHeader;
    byte[] payload;
    byte[] signature;
    try (NitroCborReader reader = NitroCborReader.over(cose, "COSE_Sign1")) {
      reader.advance();
      reader.requireArray("COSE_Sign1");
      reader.advance();
      protectedHeader = reader.bytes("COSE protected header", 0, PROTECTED_HEADER_BYTES_MAX);
      reader.advance();
      readUnprotectedHeader(reader);
      reader.advance();
      // A detached payload (null) is valid COSE but never what the NSM sends: refused here.
      payload = reader.bytes("COSE payload", 1, DOCUMENT_BYTES_MAX);
      reader.advance();
      signature = reader.bytes("COSE signature", SIGNATURE_BYTES, SIGNATURE_BYTES);
      reader.advance();
      Check.invariant(reader.atArrayEnd(), "a definite array of 4 ends after 4 items");
      reader.finish();
    }
    return new NitroDocument(protectedHeader, readProtectedHeader(protectedHeader), payload, signature,
        readPayload(payload));
  }

  /** The unprotected header is not signed and nothing in it is used; it must only be a bounded map. */
  private static void readUnprotectedHeader(NitroCborReader reader) throws MalformedReportException {
    reader.requireMap("COSE unprotected header");
    Set<NitroCborReader.Key> seen = new HashSet<>();
    for (reader.advance(); !reader.atMapEnd(); reader.advance()) {
      NitroCborReader.Key key = reader.key("COSE unprotected header");
      if (!seen.add(key)) {
        throw malformed("COSE unprotected header repeats label " + key);
      }
      if (seen.size() > HEADER_ENTRIES_MAX) {
        throw malformed("COSE unprotected header has more than " + HEADER_ENTRIES_MAX + " entries");
      }
      reader.advance();
      reader.skipValue("COSE unprotected header label " + key);
    }
  }

  /**
   * Reads the protected header map and records its algorithm (label 1) and entry count; whether
   * they are acceptable is the verifier's call. An empty byte string is an empty header.
   */
  private static ProtectedHeader readProtectedHeader(byte[] bytes) throws MalformedReportException {
    if (bytes.length == 0) {
      return new ProtectedHeader(OptionalLong.empty(), 0);
    }
    OptionalLong algorithm = OptionalLong.empty();
    Set<NitroCborReader.Key> seen = new HashSet<>();
    try (NitroCborReader reader = NitroCborReader.over(bytes, "COSE protected header")) {
      reader.advance();
      reader.requireMap("COSE protected header");
      for (reader.advance(); !reader.atMapEnd(); reader.advance()) {
        NitroCborReader.Key key = reader.key("COSE protected header");
        if (!seen.add(key)) {
          throw malformed("COSE protected header repeats label " + key);
        }
        if (seen.size() > HEADER_ENTRIES_MAX) {
          throw malformed("COSE protected header has more than " + HEADER_ENTRIES_MAX + " entries");
        }
        reader.advance();
        if (!key.text() && key.name().equals("1") && reader.token() == JsonToken.VALUE_NUMBER_INT) {
          algorithm = OptionalLong.of(reader.integer("COSE protected header alg (label 1)"));
        } else {
          reader.skipValue("COSE protected header label " + key);
        }
      }
      reader.finish();
    }
    return new ProtectedHeader(algorithm, seen.size());
  }

  private static Payload readPayload(byte[] payload) throws MalformedReportException {
    Payload fields = new Payload();
    Set<String> seen = new HashSet<>();
    try (NitroCborReader reader = NitroCborReader.over(payload, "payload")) {
      reader.advance();
      reader.requireMap("payload");
      for (reader.advance(); !reader.atMapEnd(); reader.advance()) {
        NitroCborReader.Key key = reader.key("payload");
        if (!key.text()) {
          throw malformed("payload key " + key + " is an integer; the payload's keys are text strings");
        }
        if (!seen.add(key.name())) {
          throw malformed("payload repeats key " + key);
        }
        reader.advance();
        readField(reader, key, fields);
      }
      reader.finish();
    }
    requirePresent(fields.moduleId, "module_id");
    requirePresent(fields.digest, "digest");
    requirePresent(fields.timestampMs, "timestamp");
    requirePresent(fields.pcrs, "pcrs");
    requirePresent(fields.certificate, "certificate");
    requirePresent(fields.cabundle, "cabundle");
    if (!fields.digest.equals(DIGEST_SHA384)) {
      throw malformed("payload digest '" + Check.printable(fields.digest) + "' is not supported; AWS documents use "
          + DIGEST_SHA384);
    }
    for (var pcr : fields.pcrs.entrySet()) {
      if (pcr.getValue().length != SHA384_BYTES) {
        throw malformed("PCR" + pcr.getKey() + " is " + pcr.getValue().length + " bytes; a " + DIGEST_SHA384
            + " document's PCRs are " + SHA384_BYTES);
      }
    }
    for (int index = 0; index <= 2; index++) {
      if (!fields.pcrs.containsKey(index)) {
        throw malformed("payload lacks PCR" + index + " (PCR0..2 make up the measurement)");
      }
    }
    return fields;
  }

  private static void readField(NitroCborReader reader, NitroCborReader.Key key, Payload fields)
      throws MalformedReportException {
    switch (key.name()) {
      case "module_id" -> fields.moduleId = reader.text("module_id", 1, MODULE_ID_CHARS_MAX);
      case "digest" -> fields.digest = reader.text("digest", 1, DIGEST_CHARS_MAX);
      case "timestamp" -> fields.timestampMs = reader.unsigned("timestamp");
      case "pcrs" -> fields.pcrs = readPcrs(reader);
      case "certificate" -> fields.certificate = reader.bytes("certificate", 1, CERTIFICATE_BYTES_MAX);
      case "cabundle" -> fields.cabundle = readCabundle(reader);
      case "public_key" -> fields.publicKey = reader.bytesOrNull("public_key", 1, PUBLIC_KEY_BYTES_MAX);
      case "user_data" -> fields.userData = reader.bytesOrNull("user_data", 0, USER_DATA_BYTES_MAX);
      case "nonce" -> fields.nonce = reader.bytesOrNull("nonce", 0, NONCE_BYTES_MAX);
      default -> throw malformed("payload has unknown key " + key + "; AWS documents have module_id, digest, "
          + "timestamp, pcrs, certificate, cabundle, public_key, user_data and nonce");
    }
  }

  private static SortedMap<Integer, byte[]> readPcrs(NitroCborReader reader) throws MalformedReportException {
    reader.requireMap("pcrs");
    SortedMap<Integer, byte[]> pcrs = new TreeMap<>();
    for (reader.advance(); !reader.atMapEnd(); reader.advance()) {
      NitroCborReader.Key key = reader.key("pcrs");
      long index = key.text() ? -1 : Long.parseLong(key.name());
      if (key.text() || index < 0 || index >= PCRS_MAX) {
        throw malformed("pcrs key " + key + " is not a PCR index (an unsigned integer 0.." + (PCRS_MAX - 1) + ")");
      }
      reader.advance();
      byte[] value = reader.bytes("PCR" + index, 32, 64);
      if (value.length != 32 && value.length != 48 && value.length != 64) {
        throw malformed("PCR" + index + " is " + value.length + " bytes; PCRs are 32, 48 or 64");
      }
      if (pcrs.put((int) index, value) != null) {
        throw malformed("pcrs repeats index " + index);
      }
    }
    if (pcrs.isEmpty()) {
      throw malformed("pcrs is empty");
    }
    return pcrs;
  }

  private static List<byte[]> readCabundle(NitroCborReader reader) throws MalformedReportException {
    reader.requireArray("cabundle");
    List<byte[]> certs = new ArrayList<>();
    for (reader.advance(); !reader.atArrayEnd(); reader.advance()) {
      if (certs.size() == CABUNDLE_CERTS_MAX) {
        throw malformed("cabundle has more than " + CABUNDLE_CERTS_MAX + " certificates");
      }
      certs.add(reader.bytes("cabundle[" + certs.size() + "]", 1, CERTIFICATE_BYTES_MAX));
    }
    if (certs.isEmpty()) {
      throw malformed("cabundle is empty; it must start with the AWS Nitro Enclaves root");
    }
    return certs;
  }

  private static void requirePresent(Object value, String key) throws MalformedReportException {
    if (value == null) {
      throw malformed("payload lacks the required key \"" + key + "\"");
    }
  }

  /**
   * The bytes the signature covers: Sig_structure {@code ["Signature1", protected, h'', payload]}
   * (RFC 9052 section 4.4) with empty external AAD, as definite-length CBOR.
   */
  byte[] toBeSigned() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(protectedHeader.length + payload.length + 32);
    try (CBORGenerator generator = WRITER.createGenerator(out)) {
      generator.writeStartArray(null, 4);
      generator.writeString("Signature1");
      generator.writeBinary(protectedHeader);
      generator.writeBinary(EMPTY);
      generator.writeBinary(payload);
      generator.writeEndArray();
    } catch (IOException e) {
      throw new UncheckedIOException("writing CBOR to memory cannot fail", e);
    }
    return out.toByteArray();
  }

  /** The protected header exactly as signed (the bstr's content). */
  byte[] protectedHeader() {
    return protectedHeader;
  }

  /** The protected header's alg (label 1), when present as an integer. */
  OptionalLong algorithm() {
    return algorithm;
  }

  int protectedHeaderEntries() {
    return protectedHeaderEntries;
  }

  byte[] payload() {
    return payload;
  }

  /** r || s, 48 bytes each, big-endian (IEEE P1363). */
  byte[] signature() {
    return signature;
  }

  String moduleId() {
    return moduleId;
  }

  String digest() {
    return digest;
  }

  Instant timestamp() {
    return Instant.ofEpochMilli(timestampMs);
  }

  long timestampMs() {
    return timestampMs;
  }

  SortedMap<Integer, byte[]> pcrs() {
    return pcrs;
  }

  /** PCR0 || PCR1 || PCR2: enclave image, kernel and bootstrap, application. */
  /** PCR0 || PCR1 || PCR2, the measurement a policy lists. */
  public byte[] measurement() {
    return Hashes.concat(pcrs.get(0), pcrs.get(1), pcrs.get(2));
  }

  /** AWS debug mode zeroes PCR0, PCR1 and PCR2 (the enclave's memory is then readable by the parent). */
  boolean debugMode() {
    for (int index = 0; index <= 2; index++) {
      for (byte b : pcrs.get(index)) {
        if (b != 0) {
          return false;
        }
      }
    }
    return true;
  }

  /** The leaf (signing) certificate, DER. */
  byte[] certificate() {
    return certificate;
  }

  /** The CA bundle, DER, root first. */
  List<byte[]> cabundle() {
    return cabundle;
  }

  /** Empty when absent or null. */
  byte[] publicKey() {
    return publicKey;
  }

  /** Empty when absent or null. */
  /** The user_data field; empty when absent or null. */
  public byte[] userData() {
    return userData;
  }

  /** Empty when absent or null. */
  byte[] nonce() {
    return nonce;
  }

  @Override
  public String toString() {
    return "NitroDocument{module=" + Check.printable(moduleId) + ", timestamp=" + timestamp() + ", pcrs="
        + pcrs.size() + ", cabundle=" + cabundle.size() + "}";
  }
}
