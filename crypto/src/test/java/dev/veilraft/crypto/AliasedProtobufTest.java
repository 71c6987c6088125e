package dev.veilraft.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.veilraft.crypto.proto.SealedRequest;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** {@link AliasedProtobuf}: the same messages and refusals as {@code parseFrom}, without copying bytes fields. */
class AliasedProtobufTest {
  private static final SealedRequest REQUEST = SealedRequest.newBuilder()
      .setClusterId(ByteString.copyFrom(Hashes.sha256(Hashes.utf8("cluster"))))
      .setCiphertext(ByteString.copyFrom(Hashes.sha512(Hashes.utf8("ciphertext")))).setEpoch(3).build();

  @Test
  void parsesWhatParseFromParsesAndItsFieldsAreViewsOfTheInput() throws Exception {
    byte[] bytes = REQUEST.toByteArray();
    SealedRequest parsed = AliasedProtobuf.parse(SealedRequest.parser(), bytes);
    assertThat(parsed).isEqualTo(SealedRequest.parseFrom(bytes));
    // A view, not a copy: the contract is that the caller never changes the input afterwards.
    int at = indexOf(bytes, REQUEST.getCiphertext().toByteArray());
    bytes[at] ^= 1;
    assertThat(parsed.getCiphertext().byteAt(0)).isEqualTo(bytes[at]).isNotEqualTo(REQUEST.getCiphertext().byteAt(0));
    assertThat(AliasedProtobuf.parse(SealedRequest.parser(), ByteString.copyFrom(REQUEST.toByteArray())))
        .isEqualTo(REQUEST);
  }

  @Test
  void refusesWhatParseFromRefusesIncludingAStrayEndGroupTag() {
    byte[] truncated = Arrays.copyOf(REQUEST.toByteArray(), 20);
    assertThatThrownBy(() -> SealedRequest.parseFrom(truncated)).isInstanceOf(InvalidProtocolBufferException.class);
    assertThatThrownBy(() -> AliasedProtobuf.parse(SealedRequest.parser(), truncated))
        .isInstanceOf(InvalidProtocolBufferException.class);
    // Field 15, wire type 4 (end group), with no group open: parseFrom(byte[]) refuses it.
    byte[] endGroup = concat(REQUEST.toByteArray(), new byte[] {(byte) ((15 << 3) | 4)});
    assertThatThrownBy(() -> SealedRequest.parseFrom(endGroup)).isInstanceOf(InvalidProtocolBufferException.class);
    assertThatThrownBy(() -> AliasedProtobuf.parse(SealedRequest.parser(), endGroup))
        .isInstanceOf(InvalidProtocolBufferException.class);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
        return i;
      }
    }
    throw new AssertionError("not found");
  }
}
