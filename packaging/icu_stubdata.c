/*
 * An empty ICU data library for the emdesk Linux bundle: a stand-in for Qt's libicudata.so.NN
 * (30.6 MiB of ICU locale, collation, converter and time-zone data that emdesk does not use).
 *
 * Built by packaging/bundle_config.py at bundle time with the machine's C compiler:
 *
 *     cc -shared -fPIC -O2 -DICU_DATA_ENTRY=icudt73_dat -Wl,-soname,libicudata.so.73 \
 *        -o libicudata.so.73 icu_stubdata.c
 *
 * ICU's common library (libicuuc) finds its data through one exported symbol, icudt<NN>_dat,
 * which points at a "common data" package: a header with a UDataInfo, then a table of contents.
 * ICU ships exactly such an empty package itself, "stubdata", for building its tools and for
 * builds that load the data from a file at run time; this file follows the layout of ICU's own
 * icu4c/source/stubdata/stubdata.cpp and stubdata.h (seen in nodejs/node, deps/icu-small/source/
 * stubdata/), and of the UDataInfo struct in icu4c/source/common/unicode/udata.h:
 *
 *     uint16_t size; uint16_t reservedWord; uint8_t isBigEndian; uint8_t charsetFamily;
 *     uint8_t sizeofUChar; uint8_t reservedByte; uint8_t dataFormat[4];
 *     uint8_t formatVersion[4]; uint8_t dataVersion[4];          (20 bytes)
 *
 * The table of contents has no entries, so every data lookup in it fails: ICU then looks for
 * the item as a file in its data directory (ICU_DATA; there is none in the bundle) and reports
 * U_MISSING_RESOURCE_ERROR / U_FILE_ACCESS_ERROR to the caller. Qt checks those errors and
 * falls back (QCollator compares without ICU, unknown codecs are invalid, ...); build.py's text
 * probe checks this in the built app. Written for emdesk; no ICU code is copied.
 */

#include <stdint.h>

#ifndef ICU_DATA_ENTRY
#error "define ICU_DATA_ENTRY, the data symbol of the ICU version: -DICU_DATA_ENTRY=icudt73_dat"
#endif

typedef struct {
    uint16_t size;
    uint16_t reservedWord;
    uint8_t isBigEndian;
    uint8_t charsetFamily;
    uint8_t sizeofUChar;
    uint8_t reservedByte;
    uint8_t dataFormat[4];
    uint8_t formatVersion[4];
    uint8_t dataVersion[4];
} EmdeskUDataInfo;

typedef struct {
    uint16_t headerSize;       /* bytes before the table of contents: 32 */
    uint8_t magic1, magic2;    /* 0xda, 0x27: marks ICU data */
    EmdeskUDataInfo info;
    char padding[8];
    uint32_t count, reserved;  /* table of contents: no entries */
    int32_t entries[4];        /* room for one (name, data) pointer pair, as ICU's stub has */
} EmdeskIcuDataHeader;

_Static_assert(sizeof(EmdeskUDataInfo) == 20, "UDataInfo is 20 bytes");
_Static_assert(sizeof(EmdeskIcuDataHeader) == 32 + 8 + 16, "header 32 bytes, then count and reserved");

__attribute__((visibility("default"), aligned(16)))
const EmdeskIcuDataHeader ICU_DATA_ENTRY = {
    32, 0xda, 0x27,
    {
        sizeof(EmdeskUDataInfo), 0,
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        1,
#else
        0,
#endif
        0,                       /* U_ASCII_FAMILY */
        2,                       /* sizeof(UChar) */
        0,
        {0x54, 0x6f, 0x43, 0x50}, /* "ToCP": a table of contents of pointers, as ICU's stub */
        {1, 0, 0, 0},
        {0, 0, 0, 0},
    },
    {'s', 't', 'u', 'b', 'd', 'a', 't', 'a'},
    0, 0,
    {0, 0, 0, 0},
};
