package dev.veilraft.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.crypto.tink.subtle.AesGcmJce;
import java.security.Provider;
import java.util.Arrays;
import java.util.Random;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * AES-256-GCM as {@link AesGcm} runs it (natively through Conscrypt where it loads, else the JDK)
 * gives the JDK's bytes, and {@link AesGcmAead}'s records are byte for byte what Tink's {@code
 * AesGcmJce}, which sealed them before, writes and reads. The maven build runs this class once more
 * with {@value AesGcm#PROPERTY}{@code =java}.
 */
class AesGcmTest {
  private static final byte[] KEY = Hashes.sha256(Hashes.utf8("aes-gcm test key"));
  private static final byte[] AAD = Hashes.utf8("node-1/record");

  private static boolean javaConfigured() {
    return "java".equals(System.getProperty(AesGcm.PROPERTY));
  }

  @Test
  void runsNativelyWhereConscryptLoadsAndInJavaWhenConfigured() {
    if (javaConfigured()) {
      assertThat(AesGcm.implementation()).isEqualTo("java");
      return;
    }
    requireConscrypt();
    assertThat(AesGcm.implementation()).isEqualTo("native");
  }

  @Test
  void conscryptAndTheJdkGiveTheSameBytesAtEverySizeAndEachOpensTheOther() throws Exception {
    Provider conscrypt = requireConscrypt();
    Random random = new Random(38);
    SecretKeySpec key = new SecretKeySpec(KEY, "AES");
    for (int size = 0; size <= 1100; size += size < 40 ? 1 : 37) {
      byte[] message = new byte[size];
      byte[] nonce = new byte[12];
      byte[] aad = new byte[size % 50];
      random.nextBytes(message);
      random.nextBytes(nonce);
      random.nextBytes(aad);
      byte[] byJdk = seal(Cipher.getInstance("AES/GCM/NoPadding"), key, nonce, aad, message);
      byte[] byConscrypt = seal(Cipher.getInstance("AES/GCM/NoPadding", conscrypt), key, nonce, aad, message);
      assertThat(byConscrypt).as("size " + size).isEqualTo(byJdk);
      assertThat(AesGcm.open(key, nonce, 0, aad, byJdk, 0, byJdk.length)).as("size " + size).isEqualTo(message);
    }
  }

  @Test
  void aRecordIsTinksAesGcmJceBytesAfterTheHeaderBothWays() throws Exception {
    AesGcmAead aead = AesGcmAead.fromKey(KEY);
    AesGcmJce tink = new AesGcmJce(KEY);
    for (int size : new int[] {0, 1, 15, 16, 17, 255, 256, 4096}) {
      byte[] message = new byte[size];
      new Random(size).nextBytes(message);
      byte[] record = aead.encrypt(message, AAD);
      assertThat(tink.decrypt(Arrays.copyOfRange(record, 5, record.length), AAD)).as("size " + size)
          .isEqualTo(message);
      byte[] byTink = tink.encrypt(message, AAD);
      byte[] old = new byte[5 + byTink.length];
      old[0] = 0x01;
      System.arraycopy(aead.keyId(), 0, old, 1, 4);
      System.arraycopy(byTink, 0, old, 5, byTink.length);
      assertThat(aead.decrypt(old, AAD)).as("size " + size).isEqualTo(message);
    }
  }

  @Test
  void aTagThatDoesNotMatchIsRefusedAsARefusal() throws Exception {
    SecretKeySpec key = new SecretKeySpec(KEY, "AES");
    byte[] nonce = new byte[12];
    byte[] sealed = new byte[40 + 16];
    AesGcm.seal(key, nonce, 0, AAD, new byte[40], sealed, 0);
    sealed[sealed.length - 1] ^= 1;
    assertThatThrownBy(() -> AesGcm.open(key, nonce, 0, AAD, sealed, 0, sealed.length))
        .isInstanceOf(AEADBadTagException.class);
  }

  @Test
  void anAnswersKeyIsForgottenAfterItsSealOrOpeningAndTheThreadsCipherServesTheNextKey() throws Exception {
    byte[] nonce = DeterministicCipher.nonceForIndex(7);
    byte[] other = Hashes.sha256(Hashes.utf8("another key"));
    byte[] first = DeterministicCipher.encrypt(KEY, nonce, Hashes.utf8("answer"), AAD);
    byte[] second = DeterministicCipher.encrypt(other, nonce, Hashes.utf8("answer"), AAD);
    assertThat(second).isNotEqualTo(first);
    assertThat(AesGcm.keyedOnThisThread()).as("the answer's key is forgotten after its seal").isFalse();
    assertThat(DeterministicCipher.decrypt(KEY, nonce, first, AAD)).isEqualTo(Hashes.utf8("answer"));
    assertThat(DeterministicCipher.decrypt(other, nonce, second, AAD)).isEqualTo(Hashes.utf8("answer"));
    // Opens in a row scrub in a row: each scrub's nonce differs from the one before, which both providers require.
    assertThat(DeterministicCipher.decrypt(KEY, nonce, first, AAD)).isEqualTo(Hashes.utf8("answer"));
    assertThat(AesGcm.keyedOnThisThread()).as("the answer's key is forgotten after its opening").isFalse();
    // The same answer sealed again right after (an entry applied again) gives the same bytes.
    assertThat(DeterministicCipher.encrypt(KEY, nonce, Hashes.utf8("answer"), AAD)).isEqualTo(first);
    assertThat(DeterministicCipher.encrypt(KEY, nonce, Hashes.utf8("answer"), AAD)).isEqualTo(first);
    assertThatThrownBy(() -> DeterministicCipher.decrypt(KEY, nonce, new byte[15], AAD))
        .isInstanceOf(CryptoException.class);
    // A record under the store's key on the same thread after the answers' forgotten keys.
    AesGcmAead aead = AesGcmAead.fromKey(KEY);
    assertThat(aead.decrypt(aead.encrypt(Hashes.utf8("record"), AAD), AAD)).isEqualTo(Hashes.utf8("record"));
    assertThat(AesGcm.keyedOnThisThread()).as("a record's cipher keeps the store's key").isTrue();
  }

  private static byte[] seal(Cipher cipher, SecretKeySpec key, byte[] nonce, byte[] aad, byte[] message)
      throws Exception {
    cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
    cipher.updateAAD(aad);
    return cipher.doFinal(message);
  }

  /** Conscrypt's provider; skipped with the reason outside CI where it does not load, a failure in CI. */
  private static Provider requireConscrypt() {
    Provider provider = NativeCiphers.conscryptOrNull();
    if (provider == null) {
      String message = "Conscrypt did not load on " + System.getProperty("os.name") + "/"
          + System.getProperty("os.arch") + ": " + NativeCiphers.unavailableBecause();
      NeededInCi.missing(message, "CI must run this test");
    }
    return provider;
  }
}
