//! `affine` problem (see MATH.md section 3).
