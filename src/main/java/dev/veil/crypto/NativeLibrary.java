package dev.veil.crypto;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;

/**
 * A shared library found by its versioned name, else its development name, with symbol lookups that fail with a
 * one-line reason (the native AEAD backends keep it as why they are unavailable). Immutable; thread-safe.
 */
record NativeLibrary(String name, SymbolLookup lookup) {
    /** Loads {@code versioned} (such as libcrypto.so.3), else {@code plain}; IllegalStateException when neither. */
    static NativeLibrary load(String versioned, String plain) {
        try {
            return new NativeLibrary(plain, SymbolLookup.libraryLookup(versioned, Arena.global()));
        } catch (IllegalArgumentException e) {
            try {
                return new NativeLibrary(plain, SymbolLookup.libraryLookup(plain, Arena.global()));
            } catch (IllegalArgumentException again) {
                throw new IllegalStateException(versioned + " and " + plain + " not found", again);
            }
        }
    }

    /** The address of a symbol; IllegalStateException naming it when the library has none. */
    MemorySegment find(String symbol) {
        String library = name.substring(0, name.indexOf('.'));
        return lookup.find(symbol).orElseThrow(() -> new IllegalStateException(library + " has no " + symbol));
    }
}
