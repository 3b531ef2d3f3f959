//! `quadratic` problem (see MATH.md section 3).
