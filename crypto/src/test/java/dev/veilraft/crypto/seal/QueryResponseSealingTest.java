package dev.veilraft.crypto.seal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.EventSealing;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.SealedResponse;
import org.junit.jupiter.api.Test;

class QueryResponseSealingTest {
  private static final byte[] KEY = Hashes.sha256(Hashes.utf8("query response key"));

  @Test
  void twoAnswersUnderOneKeyAndIndexRevealNeitherTheirXorNorOpenAsGcm() throws Exception {
    // Proves a query answer round-trips under AES-GCM-SIV, two different answers under one (key, index) are not
    // keystream reuse (the XOR of the ciphertexts is not the XOR of the answers), and equal answers give equal bytes.
    byte[] a = Hashes.utf8("answer from index 7");
    byte[] b = Hashes.utf8("answer from index 8");
    SealedResponse sealedA = QueryResponseSealing.seal(KEY, 1, 7, a);
    SealedResponse sealedB = QueryResponseSealing.seal(KEY, 1, 7, b);
    assertThat(QueryResponseSealing.open(KEY, sealedA)).isEqualTo(a);
    assertThat(QueryResponseSealing.open(KEY, sealedB)).isEqualTo(b);
    byte[] ca = sealedA.getCiphertext().toByteArray();
    byte[] cb = sealedB.getCiphertext().toByteArray();
    byte[] cipherXor = new byte[a.length];
    byte[] plainXor = new byte[a.length];
    for (int i = 0; i < a.length; i++) {
      cipherXor[i] = (byte) (ca[i] ^ cb[i]);
      plainXor[i] = (byte) (a[i] ^ b[i]);
    }
    assertThat(cipherXor).isNotEqualTo(plainXor);
    assertThat(QueryResponseSealing.seal(KEY, 1, 7, a)).isEqualTo(sealedA);
    assertThatThrownBy(() -> EventSealing.openResponse(KEY, sealedA)).isInstanceOf(CryptoException.class);
  }

  @Test
  void anAnswerMovedToAnotherIndexEpochOrKeyDoesNotOpen() throws Exception {
    // Proves the index, the epoch and the key are all authenticated.
    SealedResponse sealed = QueryResponseSealing.seal(KEY, 1, 7, Hashes.utf8("answer"));
    assertThatThrownBy(() -> QueryResponseSealing.open(KEY, sealed.toBuilder().setLogIndex(8).build()))
        .isInstanceOf(CryptoException.class);
    assertThatThrownBy(() -> QueryResponseSealing.open(KEY, sealed.toBuilder().setEpoch(2).build()))
        .isInstanceOf(CryptoException.class);
    assertThatThrownBy(() -> QueryResponseSealing.open(Hashes.sha256(KEY), sealed)).isInstanceOf(CryptoException.class);
    assertThatThrownBy(() -> QueryResponseSealing.open(KEY, sealed.toBuilder()
        .setCiphertext(com.google.protobuf.ByteString.copyFrom(new byte[3])).build()))
        .isInstanceOf(CryptoException.class);
  }
}
