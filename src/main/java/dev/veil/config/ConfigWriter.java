package dev.veil.config;

import dev.veil.config.Keys.Key;
import dev.veil.config.Keys.Section;
import java.util.List;

/**
 * Writes a {@link WgConfig} in wg-quick's format, for {@code SaveConfig} and {@code showconf}-like output: the
 * {@code [Interface]} section with wg-quick's keys first, as its {@code save_config} writes them, then the device
 * keys and the peers as {@code wg showconf} writes them, one blank line before each {@code [Peer]}. Absent values
 * are left out; {@link ConfigParser} reads the text back to an equal configuration. The output holds the private and
 * preshared keys, so it belongs in a file only its owner can read. Stateless and thread-safe.
 */
public final class ConfigWriter {
    private ConfigWriter() {}

    /** The file text, ending in a newline. Throws IllegalArgumentException for a value with a line break. */
    public static String write(WgConfig config) {
        StringBuilder out = new StringBuilder();
        section(out, Section.INTERFACE, Keys.INTERFACE, config.iface());
        for (PeerSection peer : config.peers()) {
            out.append('\n');
            section(out, Section.PEER, Keys.PEER, peer);
        }
        return out.toString();
    }

    private static <S> void section(StringBuilder out, Section section, List<? extends Key<S, ?>> keys, S values) {
        out.append(section.header).append('\n');
        for (Key<S, ?> key : keys) {
            for (String value : key.values().apply(values)) {
                if (value.indexOf('\n') >= 0) {
                    throw new IllegalArgumentException(key.name() + " holds a line break");
                }
                out.append(key.name()).append(" = ").append(value).append('\n');
            }
        }
    }
}
