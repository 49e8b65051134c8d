#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ketentafel_fuzz::rtp_rtcp(data));
