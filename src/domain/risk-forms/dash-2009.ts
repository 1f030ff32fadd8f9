/**
 * The ACPO/CAADA DASH 2009 police checklist: 27 questions, each Yes / No / Not known with a comment (rules.md §4B).
 * Questions 1–11 were seen in a copy of the form; 12–27 follow the known order and should be confirmed against the
 * force's current form. The wording is paraphrased, as in rules.md.
 */
import type { Answers, FormShape, HighRiskFlag, RiskForm, RiskSection } from './risk-form.js';
import { scoreByYesCount } from './risk-form.js';

export const DASH2009_VERSION = 'DASH2009';

/** DASH-03 (a): 14 or more "yes" answers is visible high risk, whatever the local grading bands. */
export const DASH2009_VISIBLE_HIGH_RISK_FROM = 14;

const SECTIONS: readonly RiskSection[] = [
  {
    id: 'current_situation',
    title: 'Current situation',
    questions: [
      { id: '1', number: 1, text: 'Did this incident cause an injury?', help: 'Record what the injury is and whether this is the first injury.' },
      { id: '2', number: 2, text: 'Is the victim very frightened?', help: 'The victim’s own perception of risk: a homicide-risk item (DASH-06).' },
      {
        id: '3',
        number: 3,
        text: 'Is the victim afraid of further injury or violence?',
        help: 'Record what they are afraid of (further injury or violence, being killed) and for whom (themselves, the children, others).',
      },
      {
        id: '4',
        number: 4,
        text: 'Does the abuser isolate the victim from family, friends, the GP or others?',
        help: 'If Yes, ask about honour-based abuse and forced marriage.',
        followUp: {
          id: '4a',
          when: 'yes',
          text: 'Is there any indication of honour-based abuse or forced marriage?',
          help: 'Question 4 is Yes: ask the force’s honour-based abuse and forced marriage questions and record what you found in the comment.',
        },
      },
      { id: '5', number: 5, text: 'Is the victim feeling depressed or having suicidal thoughts?' },
      { id: '6', number: 6, text: 'Has the victim separated from the abuser, or tried to, within the past year?' },
      { id: '7', number: 7, text: 'Is there conflict over contact with the children?' },
      {
        id: '8',
        number: 8,
        text: 'Does the abuser constantly text, call, contact, follow, stalk or harass the victim?',
        help: 'If Yes, ask the S-DASH stalking supplementary questions.',
        followUp: {
          id: '8a',
          when: 'yes',
          text: 'Do the S-DASH stalking questions show a pattern of stalking or harassment?',
          help: 'Question 8 is Yes: ask the S-DASH stalking supplementary questions (the force’s form) and record the answers in the comment.',
        },
      },
    ],
  },
  {
    id: 'children_dependants',
    title: 'Children and dependants',
    questions: [
      { id: '9', number: 9, text: 'Is the victim pregnant, or has the victim had a baby in the last 18 months?' },
      {
        id: '10',
        number: 10,
        text: 'Are there children or step-children in the household who are not the abuser’s, or other dependants such as an older relative?',
      },
      { id: '11', number: 11, text: 'Has the abuser ever hurt the children or dependants?' },
      { id: '12', number: 12, text: 'Has the abuser ever threatened to hurt or kill the children or dependants?' },
    ],
  },
  {
    id: 'abuse_history',
    title: 'Domestic abuse history',
    questions: [
      { id: '13', number: 13, text: 'Is the abuse happening more often?' },
      { id: '14', number: 14, text: 'Is the abuse getting worse?' },
      { id: '15', number: 15, text: 'Does the abuser try to control everything the victim does, or are they excessively jealous?' },
      { id: '16', number: 16, text: 'Has the abuser ever used weapons or objects to hurt the victim?' },
      { id: '17', number: 17, text: 'Has the abuser ever threatened to kill the victim or someone else, and did the victim believe them?' },
      { id: '18', number: 18, text: 'Has the abuser ever tried to strangle, choke, suffocate or drown the victim?' },
      {
        id: '19',
        number: 19,
        text: 'Does the abuser do or say sexual things that make the victim feel bad, or that physically hurt the victim or someone else?',
      },
      { id: '20', number: 20, text: 'Is there anyone else who has threatened the victim, or whom the victim fears?' },
      {
        id: '21',
        number: 21,
        text: 'Does the victim know whether the abuser has hurt anyone else?',
        help: 'For example children, siblings, elderly relatives, strangers or previous partners.',
      },
      { id: '22', number: 22, text: 'Has the abuser ever mistreated an animal or the family pet?' },
    ],
  },
  {
    id: 'abuser',
    title: 'Abuser',
    questions: [
      {
        id: '23',
        number: 23,
        text: 'Are there financial issues?',
        help: 'For example, is the victim financially dependent on the abuser, or has the abuser recently lost their job?',
      },
      { id: '24', number: 24, text: 'In the past year, has the abuser had drug, alcohol or mental-health problems that interfere with ordinary life?' },
      { id: '25', number: 25, text: 'Has the abuser ever threatened or attempted suicide?' },
      { id: '26', number: 26, text: 'Has the abuser ever breached bail, an injunction, or an agreement about contact with the victim or children?' },
      { id: '27', number: 27, text: 'Does the victim know whether the abuser has been in trouble with the police or has a criminal history?' },
    ],
  },
];

/** DASH-06: each item is linked to homicide risk, so it is shown prominently when answered Yes. */
const HIGH_RISK_ITEMS: readonly { code: string; label: string; questions: readonly string[] }[] = [
  { code: 'strangulation', label: 'Non-fatal strangulation (Q18)', questions: ['18'] },
  { code: 'threats_to_kill', label: 'Threats to kill (Q17)', questions: ['17'] },
  { code: 'stalking', label: 'Stalking (Q8)', questions: ['8'] },
  { code: 'separation', label: 'Separation (Q6)', questions: ['6'] },
  { code: 'coercive_control', label: 'Coercive control (Q15)', questions: ['15'] },
  { code: 'escalation', label: 'Escalation (Q13/Q14)', questions: ['13', '14'] },
  { code: 'hba_forced_marriage', label: 'Honour-based abuse or forced marriage (Q4 follow-up)', questions: ['4a'] },
  { code: 'victim_perception', label: 'The victim’s own perception of risk (Q2/Q3)', questions: ['2', '3'] },
];

export function dash2009HighRiskFlags(answers: Answers): HighRiskFlag[] {
  return HIGH_RISK_ITEMS.map((item) => ({
    code: item.code,
    label: item.label,
    questions: item.questions.filter((id) => answers[id]?.answer === 'yes'),
  })).filter((flag) => flag.questions.length > 0);
}

const SHAPE: FormShape = {
  version: DASH2009_VERSION,
  title: 'DASH 2009 risk checklist',
  sections: SECTIONS,
};

export const DASH2009: RiskForm = {
  ...SHAPE,
  description:
    'ACPO/CAADA DASH (2009) police risk identification checklist: ask every question, answer Yes, No or Not known, and add a comment where it helps.',
  score: (answers, facts, settings, judgement) =>
    scoreByYesCount(SHAPE, DASH2009_VISIBLE_HIGH_RISK_FROM, dash2009HighRiskFlags, answers, facts, settings, judgement),
};
