package dev.veilraft.crypto.attestation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veilraft.crypto.Hashes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The strict COSE_Sign1 and payload parser, on synthetic documents from {@link NitroDocumentBuilder}. */
class NitroDocumentTest {
  static final NitroDocumentBuilder.Pki PKI = NitroDocumentBuilder.Pki.create("parser");

  private static NitroDocumentBuilder builder() {
    return new NitroDocumentBuilder(PKI);
  }

  private static void assertMalformed(byte[] document, String messagePart) {
    assertThatThrownBy(() -> NitroDocument.parse(document))
        .isInstanceOfSatisfying(MalformedReportException.class,
            e -> assertThat(e.reason()).isEqualTo(RejectReason.MALFORMED))
        .hasMessageContaining(messagePart);
  }

  @Test
  void readsEveryFieldOfAWellFormedDocument() throws Exception {
    // Proves the parser returns the payload's fields as the builder wrote them.
    NitroDocumentBuilder builder = builder().set("public_key", new byte[] {1, 2, 3}).set("nonce", new byte[] {9});
    NitroDocument document = NitroDocument.parse(builder.build());

    assertThat(document.moduleId()).isEqualTo("i-0123456789abcdef0-enc0123456789abcdef");
    assertThat(document.digest()).isEqualTo("SHA384");
    assertThat(document.timestamp()).isEqualTo(NitroDocumentBuilder.TIMESTAMP);
    assertThat(document.pcrs()).hasSize(16);
    assertThat(document.pcrs().get(0)).isEqualTo(NitroDocumentBuilder.pcr("parser", 0));
    assertThat(document.measurement()).isEqualTo(Hashes.concat(NitroDocumentBuilder.pcr("parser", 0),
        NitroDocumentBuilder.pcr("parser", 1), NitroDocumentBuilder.pcr("parser", 2)));
    assertThat(document.certificate()).isEqualTo(PKI.leaf());
    assertThat(document.cabundle()).containsExactly(PKI.root(), PKI.intermediate());
    assertThat(document.publicKey()).containsExactly(1, 2, 3);
    assertThat(document.nonce()).containsExactly(9);
    assertThat(document.userData()).hasSize(64);
    assertThat(document.algorithm()).hasValue(NitroDocument.ALG_ES384);
    assertThat(document.protectedHeaderEntries()).isEqualTo(1);
    assertThat(document.payload()).isEqualTo(builder.payload());
    assertThat(document.debugMode()).isFalse();
  }

  @Test
  void definiteAndIndefiniteLengthMapsReadTheSame() throws Exception {
    // Proves both map encodings AWS documents use in the wild (0xA9 and 0xBF payloads) parse to the same fields.
    byte[] definite = builder().build();
    byte[] indefinite = builder().indefinite(true).build();
    NitroDocument a = NitroDocument.parse(definite);
    NitroDocument b = NitroDocument.parse(indefinite);

    assertThat(a.payload()[0] & 0xFF).isEqualTo(0xA9);
    assertThat(b.payload()[0] & 0xFF).isEqualTo(0xBF);
    assertThat(b.moduleId()).isEqualTo(a.moduleId());
    assertThat(b.timestamp()).isEqualTo(a.timestamp());
    assertThat(b.measurement()).isEqualTo(a.measurement());
    assertThat(b.pcrs().keySet()).isEqualTo(a.pcrs().keySet());
    assertThat(b.userData()).isEqualTo(a.userData());
  }

  @Test
  void toleratesTheCoseSign1TagButNoOther() throws Exception {
    // Proves tag 18 (COSE_Sign1) is accepted while any other tag, or two tags, is refused.
    byte[] untagged = builder().build();
    assertThat(NitroDocument.parse(builder().tagged(true).build()).payload())
        .isEqualTo(NitroDocument.parse(untagged).payload());
    assertMalformed(Hashes.concat(new byte[] {(byte) 0xD8, 0x62}, untagged), "COSE_Sign1 array of 4");
    assertMalformed(Hashes.concat(new byte[] {(byte) 0xD2, (byte) 0xD2}, untagged), "COSE_Sign1 array of 4");
  }

  @Test
  void signatureStructureMatchesAnIndependentEncoding() throws Exception {
    // Proves the production Sig_structure encoder agrees byte for byte with the builder's hand encoding.
    NitroDocumentBuilder builder = builder();
    NitroDocument document = NitroDocument.parse(builder.build());
    assertThat(document.toBeSigned())
        .isEqualTo(NitroDocumentBuilder.sigStructure(NitroDocumentBuilder.PROTECTED_ES384, builder.payload()));
  }

  @Test
  void timestampIsReadWithoutVerifying() throws Exception {
    // Proves documentTimestamp reads the timestamp of a document whose signature is garbage.
    byte[] document = builder().signature(new byte[96]).build();
    assertThat(NitroEvidenceVerifier.documentTimestamp(document)).isEqualTo(NitroDocumentBuilder.TIMESTAMP);
    assertThatThrownBy(() -> NitroEvidenceVerifier.documentTimestamp(new byte[] {1, 2}))
        .isInstanceOf(MalformedReportException.class);
  }

  @Test
  void refusesEmptyNullAndOversizedInput() {
    // Proves the size bounds hold before any CBOR is read.
    assertMalformed(null, "empty");
    assertMalformed(new byte[0], "empty");
    byte[] huge = new byte[NitroDocument.DOCUMENT_BYTES_MAX + 1];
    huge[0] = (byte) 0x84;
    assertMalformed(huge, "at most " + NitroDocument.DOCUMENT_BYTES_MAX);
  }

  @Test
  void refusesTrailingBytes() {
    // Proves nothing may follow the COSE_Sign1 array (as in dstack's framed files).
    assertMalformed(builder().trailing(new byte[] {0x00}).build(), "trailing bytes");
    assertMalformed(builder().trailing(new byte[] {(byte) 0xA0}).build(), "trailing bytes");
  }

  @Test
  void refusesAnythingButADefiniteArrayOfFour() {
    // Proves the outer shape is exactly [protected, unprotected, payload, signature].
    byte[] document = builder().build();
    byte[] three = document.clone();
    three[0] = (byte) 0x83;
    assertMalformed(three, "array of 4");
    byte[] indefinite = Hashes.concat(new byte[] {(byte) 0x9F}, Arrays.copyOfRange(document, 1,
        document.length), new byte[] {(byte) 0xFF});
    assertMalformed(indefinite, "array of 4");
    assertMalformed(new byte[] {(byte) 0xA0}, "array of 4");
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 95, 97, 128})
  void refusesSignaturesOfTheWrongLength(int length) {
    // Proves an ES384 signature must be exactly r || s, 96 bytes.
    assertMalformed(builder().signature(new byte[length]).build(), "COSE signature is " + length + " bytes");
  }

  @Test
  void refusesADetachedPayload() {
    // Proves a null payload (detached content) is refused.
    byte[] document = builder().build();
    NitroDocumentBuilder builder = builder();
    byte[] payload = NitroDocumentBuilder.bstr(builder.payload());
    int at = NitroDocumentBuilder.indexOf(document, payload);
    byte[] detached = Hashes.concat(Arrays.copyOfRange(document, 0, at), new byte[] {(byte) 0xF6},
        Arrays.copyOfRange(document, at + payload.length, document.length));
    assertMalformed(detached, "COSE payload must be a byte string, got null");
  }

  static Stream<Arguments> malformedPayloads() {
    Map<Object, Object> textKeyPcrs = pcrs();
    textKeyPcrs.put("3", new byte[48]);
    Map<Object, Object> highIndex = pcrs();
    highIndex.put(32, new byte[48]);
    Map<Object, Object> hugeIndex = pcrs();
    hugeIndex.put(-1L, new byte[48]);
    Map<Object, Object> noPcr1 = pcrs();
    noPcr1.remove(1);
    List<byte[]> nineCerts = new ArrayList<>(Collections.nCopies(9, PKI.intermediate()));
    return Stream.of(
        Arguments.of("duplicate key", op(b -> b.add("module_id", "i-other")), "repeats key \"module_id\""),
        Arguments.of("unknown key", op(b -> b.set("extra", 1)), "unknown key \"extra\""),
        Arguments.of("integer key", op(b -> b.set(7, 1)), "payload key 7 is an integer"),
        Arguments.of("module_id as bytes", op(b -> b.set("module_id", new byte[] {1})), "module_id must be a text"),
        Arguments.of("empty module_id", op(b -> b.set("module_id", "")), "module_id is 0 characters"),
        Arguments.of("digest SHA256", op(b -> b.set("digest", "SHA256")), "digest 'SHA256' is not supported"),
        Arguments.of("timestamp as text", op(b -> b.set("timestamp", "1")), "timestamp must be an unsigned integer"),
        Arguments.of("negative timestamp", op(b -> b.set("timestamp", -1)), "timestamp must be an unsigned integer"),
        Arguments.of("bignum timestamp", op(b -> b.set("timestamp",
            new NitroDocumentBuilder.Tagged(2, new byte[] {1, 0, 0, 0, 0, 0, 0, 0, 0}))), "tagged value"),
        Arguments.of("pcrs as array", op(b -> b.set("pcrs", List.of(new byte[48]))), "pcrs must be a map"),
        Arguments.of("empty pcrs", op(b -> b.set("pcrs", new LinkedHashMap<>())), "pcrs is empty"),
        Arguments.of("text PCR index", op(b -> b.set("pcrs", textKeyPcrs)), "pcrs key \"3\" is not a PCR index"),
        Arguments.of("PCR index 32", op(b -> b.set("pcrs", highIndex)), "pcrs key 32 is not a PCR index"),
        Arguments.of("negative PCR index", op(b -> b.set("pcrs", hugeIndex)), "pcrs key -1 is not a PCR index"),
        Arguments.of("PCR of 47 bytes", op(b -> b.pcr(5, new byte[47])), "PCR5 is 47 bytes"),
        Arguments.of("PCR of 32 bytes", op(b -> b.pcr(5, new byte[32])), "PCR5 is 32 bytes; a SHA384 document"),
        Arguments.of("PCR as text", op(b -> b.pcr(5, "zero")), "PCR5 must be a byte string"),
        Arguments.of("no PCR1", op(b -> b.set("pcrs", noPcr1)), "lacks PCR1"),
        Arguments.of("certificate as text", op(b -> b.set("certificate", "MII")), "certificate must be a byte string"),
        Arguments.of("certificate of 1025 bytes", op(b -> b.set("certificate", new byte[1025])),
            "certificate is 1025 bytes"),
        Arguments.of("empty cabundle", op(b -> b.set("cabundle", List.of())), "cabundle is empty"),
        Arguments.of("cabundle of 9", op(b -> b.set("cabundle", nineCerts)), "more than 8 certificates"),
        Arguments.of("cabundle of text", op(b -> b.set("cabundle", List.of("root"))), "cabundle[0] must be a byte"),
        Arguments.of("user_data of 513 bytes", op(b -> b.set("user_data", new byte[513])), "user_data is 513 bytes"),
        Arguments.of("nonce of 513 bytes", op(b -> b.set("nonce", new byte[513])), "nonce is 513 bytes"),
        Arguments.of("empty public_key", op(b -> b.set("public_key", new byte[0])), "public_key is 0 bytes"),
        Arguments.of("public_key of 1025 bytes", op(b -> b.set("public_key", new byte[1025])),
            "public_key is 1025 bytes"),
        Arguments.of("tagged user_data", op(b -> b.set("user_data",
            new NitroDocumentBuilder.Tagged(24, new byte[] {0x40}))), "tagged value"),
        Arguments.of("user_data as integer", op(b -> b.set("user_data", 5)), "user_data must be a byte string"),
        Arguments.of("no module_id", op(b -> b.remove("module_id")), "lacks the required key \"module_id\""),
        Arguments.of("no digest", op(b -> b.remove("digest")), "lacks the required key \"digest\""),
        Arguments.of("no timestamp", op(b -> b.remove("timestamp")), "lacks the required key \"timestamp\""),
        Arguments.of("no pcrs", op(b -> b.remove("pcrs")), "lacks the required key \"pcrs\""),
        Arguments.of("no certificate", op(b -> b.remove("certificate")), "lacks the required key \"certificate\""),
        Arguments.of("no cabundle", op(b -> b.remove("cabundle")), "lacks the required key \"cabundle\""),
        Arguments.of("payload not a map", op(b -> b.payload(new byte[] {(byte) 0x80})), "payload must be a map"),
        Arguments.of("payload with trailing bytes", op(b -> b.payload(Hashes.concat(b.payload(), new byte[] {0}))),
            "payload has trailing bytes"),
        Arguments.of("truncated payload", op(b -> b.payload(Arrays.copyOf(b.payload(), 40))),
            "module_id cannot be read"),
        Arguments.of("truncated payload map", op(b -> b.payload(Arrays.copyOf(b.payload(), 11))),
            "payload is"));
  }

  private static Map<Object, Object> pcrs() {
    Map<Object, Object> pcrs = new LinkedHashMap<>();
    for (int i = 0; i < 16; i++) {
      pcrs.put(i, NitroDocumentBuilder.pcr("parser", i));
    }
    return pcrs;
  }

  private static UnaryOperator<NitroDocumentBuilder> op(UnaryOperator<NitroDocumentBuilder> op) {
    return op;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformedPayloads")
  void refusesMalformedPayloads(String name, UnaryOperator<NitroDocumentBuilder> mutation, String messagePart) {
    // Proves each wrong type, size, key or shape in the payload is refused as MALFORMED with a message naming it,
    // in both map encodings.
    assertMalformed(mutation.apply(builder()).build(), messagePart);
    assertMalformed(mutation.apply(builder().indefinite(true)).build(), messagePart);
  }

  @Test
  void refusesIntegerKeysJacksonWouldWrap() {
    // Proves the key 2^64-1, which Jackson reads as "-1", is refused instead of being taken for -1.
    byte[] payload = builder().payload();
    // Replace the definite payload map's first key (module_id) with the uint64 key 0xFFFFFFFFFFFFFFFF.
    byte[] key = Hashes.concat(new byte[] {0x69}, Hashes.utf8("module_id"));
    int at = NitroDocumentBuilder.indexOf(payload, key);
    byte[] wrapped = Hashes.concat(Arrays.copyOfRange(payload, 0, at),
        Hashes.unhex("1bffffffffffffffff"), Arrays.copyOfRange(payload, at + key.length, payload.length));
    assertMalformed(builder().payload(wrapped).build(), "integer key outside the signed 64-bit range");
  }

  @Test
  void readsTheProtectedHeaderWithoutJudgingIt() throws Exception {
    // Proves the parser records alg and entry count (the verifier judges them) and refuses only bad CBOR.
    NitroDocument empty = NitroDocument.parse(builder().protectedHeader(new byte[0]).build());
    assertThat(empty.algorithm()).isEmpty();
    NitroDocument es256 = NitroDocument.parse(builder().protectedHeader(Hashes.unhex("a10126")).build());
    assertThat(es256.algorithm()).hasValue(-7);
    NitroDocument textLabel = NitroDocument.parse(builder().protectedHeader(Hashes.unhex("a161313822")).build());
    assertThat(textLabel.algorithm()).isEmpty();
    assertThat(textLabel.protectedHeaderEntries()).isEqualTo(1);
    NitroDocument textAlg = NitroDocument.parse(builder()
        .protectedHeader(Hashes.concat(Hashes.unhex("a10165"), Hashes.utf8("ES384"))).build());
    assertThat(textAlg.algorithm()).isEmpty();
    NitroDocument twoEntries = NitroDocument.parse(builder().protectedHeader(Hashes.unhex("a20138220441aa")).build());
    assertThat(twoEntries.protectedHeaderEntries()).isEqualTo(2);

    assertMalformed(builder().protectedHeader(Hashes.unhex("a2013822013822")).build(), "repeats label 1");
    assertMalformed(builder().protectedHeader(Hashes.unhex("01")).build(), "protected header must be a map");
    assertMalformed(builder().protectedHeader(Hashes.unhex("a101382200")).build(), "trailing bytes");
    assertMalformed(builder().protectedHeader(Hashes.unhex("a101c24122")).build(), "tagged value");
  }

  @Test
  void boundsTheUnprotectedHeader() throws Exception {
    // Proves the unsigned header may carry bounded content, but not deep nesting, tags or duplicates.
    NitroDocument withKid = NitroDocument.parse(builder().unprotectedHeader(Hashes.unhex("a104436b6964")).build());
    assertThat(withKid.moduleId()).isNotEmpty();
    byte[] deep = Hashes.concat(Hashes.unhex("a101"), repeat((byte) 0x81, 12), new byte[] {0x00});
    assertMalformed(builder().unprotectedHeader(deep).build(), "deeper than " + NitroCborReader.NESTING_DEPTH_MAX);
    assertMalformed(builder().unprotectedHeader(Hashes.unhex("a104c14100")).build(), "tagged value");
    assertMalformed(builder().unprotectedHeader(Hashes.unhex("a204000400")).build(), "repeats label 4");
    assertMalformed(builder().unprotectedHeader(Hashes.unhex("80")).build(), "unprotected header must be a map");
  }

  private static byte[] repeat(byte value, int count) {
    byte[] out = new byte[count];
    Arrays.fill(out, value);
    return out;
  }
}
